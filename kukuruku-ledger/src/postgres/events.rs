//! The `events` table (the outbox): claiming with a lease (`FOR UPDATE SKIP LOCKED`: two
//! instances claiming at once take different events, neither waits), completing.

use std::time::{Duration, SystemTime};

use super::pool::Tx;
use super::rows::{event, event_columns};
use crate::error::Error;
use crate::event::{Completion, Event, EventId};
use crate::timestamp::{duration_millis, to_millis};

/// [`Store::claim`](crate::Store::claim).
pub(crate) async fn claim(
    tx: &Tx<'_>,
    worker: &str,
    max: usize,
    lease: Duration,
    now: SystemTime,
) -> Result<Vec<Event>, Error> {
    const SQL: &str = concat!(
        "WITH picked AS (
             SELECT id FROM events
             WHERE done_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $1)
             ORDER BY id LIMIT $2
             FOR UPDATE SKIP LOCKED
         ), claimed AS (
             UPDATE events SET claimed_by = $3, claimed_until = $4, attempts = attempts + 1
             FROM picked WHERE events.id = picked.id
             RETURNING events.*
         )
         SELECT ",
        event_columns!(),
        " FROM claimed e JOIN orders o ON o.id = e.order_ref ORDER BY e.id"
    );
    let now = to_millis(now);
    let until = now.saturating_add(duration_millis(lease));
    let rows = tx
        .query(
            SQL,
            &[
                &now,
                &i64::try_from(max).unwrap_or(i64::MAX),
                &worker,
                &until,
            ],
        )
        .await?;
    rows.iter().map(event).collect()
}

/// [`Store::complete`](crate::Store::complete): a conditional update, so two workers
/// completing one event at once complete it once.
pub(crate) async fn complete(
    tx: &Tx<'_>,
    id: EventId,
    now: SystemTime,
) -> Result<Completion, Error> {
    let changed = tx
        .execute(
            "UPDATE events SET done_at = $2 WHERE id = $1 AND done_at IS NULL",
            &[&id.0, &to_millis(now)],
        )
        .await?;
    if changed == 1 {
        return Ok(Completion::Completed);
    }
    match tx
        .query_opt("SELECT 1 FROM events WHERE id = $1", &[&id.0])
        .await?
    {
        Some(_) => Ok(Completion::AlreadyDone),
        None => Err(Error::UnknownEvent(id.0)),
    }
}
