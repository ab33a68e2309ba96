//! The `events` table (the outbox): claiming with a lease, completing.

use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OptionalExtension, params};

use super::failure::classify;
use super::rows::{EVENT_COLUMNS, event};
use crate::error::Error;
use crate::event::{Completion, Event, EventId};
use crate::timestamp::{duration_millis, to_millis};

/// [`Store::claim`](crate::Store::claim): inside the writer's `BEGIN IMMEDIATE`
/// transaction, so no other writer (thread or process) runs between the choice and the claim.
pub(crate) fn claim(
    conn: &Connection,
    worker: &str,
    max: usize,
    lease: Duration,
    now: SystemTime,
) -> Result<Vec<Event>, Error> {
    let now = to_millis(now);
    let until = now.saturating_add(duration_millis(lease));
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e JOIN orders o ON o.id = e.order_ref
             WHERE e.done_at IS NULL AND (e.claimed_until IS NULL OR e.claimed_until <= ?1)
             ORDER BY e.id LIMIT ?2"
        ))
        .map_err(classify)?;
    let mut rows = statement
        .query(params![now, i64::try_from(max).unwrap_or(i64::MAX)])
        .map_err(classify)?;
    let mut claimed = Vec::new();
    while let Some(row) = rows.next().map_err(classify)? {
        claimed.push(event(row)?);
    }
    let mut mark = conn
        .prepare_cached(
            "UPDATE events SET claimed_by = ?2, claimed_until = ?3, attempts = attempts + 1
             WHERE id = ?1",
        )
        .map_err(classify)?;
    for event in &mut claimed {
        mark.execute(params![event.id.0, worker, until])
            .map_err(classify)?;
        event.attempts += 1;
    }
    Ok(claimed)
}

/// [`Store::complete`](crate::Store::complete).
pub(crate) fn complete(
    conn: &Connection,
    id: EventId,
    now: SystemTime,
) -> Result<Completion, Error> {
    let done: Option<Option<i64>> = conn
        .prepare_cached("SELECT done_at FROM events WHERE id = ?1")
        .and_then(|mut select| select.query_row([id.0], |row| row.get(0)))
        .optional()
        .map_err(super::failure::in_table("events"))?;
    match done {
        None => Err(Error::UnknownEvent(id.0)),
        Some(Some(_)) => Ok(Completion::AlreadyDone),
        Some(None) => {
            conn.prepare_cached("UPDATE events SET done_at = ?2 WHERE id = ?1")
                .and_then(|mut done| done.execute(params![id.0, to_millis(now)]))
                .map_err(classify)?;
            Ok(Completion::Completed)
        }
    }
}
