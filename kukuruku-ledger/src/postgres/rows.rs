//! Reading the ledger's rows into typed values; a value this code cannot read is
//! [`Error::MalformedRow`], never a guess.

use bytes::Bytes;
use kukuruku_proto::{Currency, OrderStatus, OrderType};
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use crate::audit::AuditEntry;
use crate::columns::{amount, malformed, order_id, order_number};
use crate::error::Error;
use crate::event::{Event, EventId};
use crate::order::OrderRecord;
use crate::outcome::Outcome;
use crate::timestamp::from_millis;
use crate::update::Source;

/// The columns of `orders` that [`order`] reads, in its order (a macro, for `concat!`).
macro_rules! order_columns {
    () => {
        "id, order_number, kukupay_id, order_type, amount, currency, status, created_at, updated_at, checks, next_check_at"
    };
}
pub(crate) use order_columns;

/// The columns [`event`] reads: an event `e` joined with its order `o`.
macro_rules! event_columns {
    () => {
        "e.id, o.order_number, o.kukupay_id, o.order_type, o.amount, o.currency, e.from_status, e.to_status, e.created_at, e.attempts"
    };
}
pub(crate) use event_columns;

/// The columns [`audit`] reads.
macro_rules! audit_columns {
    () => {
        "id, kukupay_id, status, body, key_index, source, outcome, received_at"
    };
}
pub(crate) use audit_columns;

fn get<'r, T: FromSql<'r>>(row: &'r Row, table: &'static str, index: usize) -> Result<T, Error> {
    row.try_get(index).map_err(|error| Error::MalformedRow {
        table,
        what: error.to_string(),
    })
}

fn count(table: &'static str, column: &str, value: i64) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| malformed(table, column, value))
}

/// A row of `orders` read with [`order_columns`]: its id and the record.
pub(crate) fn order(row: &Row) -> Result<(i64, OrderRecord), Error> {
    const T: &str = "orders";
    let record = OrderRecord {
        order_number: order_number(T, get(row, T, 1)?)?,
        kukupay_id: get::<Option<&str>>(row, T, 2)?
            .map(|id| order_id(T, id))
            .transpose()?,
        order_type: get::<Option<&str>>(row, T, 3)?.map(OrderType::parse),
        amount: amount(T, get(row, T, 4)?)?,
        currency: get::<Option<&str>>(row, T, 5)?.map(Currency::from_code),
        status: get::<Option<&str>>(row, T, 6)?.map(OrderStatus::parse),
        created_at: from_millis(get(row, T, 7)?),
        updated_at: from_millis(get(row, T, 8)?),
        checks: count(T, "checks", get(row, T, 9)?)?,
        next_check_at: get::<Option<i64>>(row, T, 10)?.map(from_millis),
    };
    Ok((get(row, T, 0)?, record))
}

/// A row read with [`event_columns`].
pub(crate) fn event(row: &Row) -> Result<Event, Error> {
    const T: &str = "events";
    let kukupay_id: Option<&str> = get(row, T, 2)?;
    Ok(Event {
        id: EventId(get(row, T, 0)?),
        order_number: order_number(T, get(row, T, 1)?)?,
        kukupay_id: order_id(
            T,
            kukupay_id.ok_or_else(|| malformed(T, "kukupay_id", "NULL"))?,
        )?,
        order_type: get::<Option<&str>>(row, T, 3)?.map(OrderType::parse),
        amount: amount(T, get(row, T, 4)?)?,
        currency: get::<Option<&str>>(row, T, 5)?.map(Currency::from_code),
        from: get::<Option<&str>>(row, T, 6)?.map(OrderStatus::parse),
        to: OrderStatus::parse(get(row, T, 7)?),
        recorded_at: from_millis(get(row, T, 8)?),
        attempts: count(T, "attempts", get(row, T, 9)?)?,
    })
}

/// A row read with [`audit_columns`].
pub(crate) fn audit(row: &Row) -> Result<AuditEntry, Error> {
    const T: &str = "callbacks";
    let source: &str = get(row, T, 5)?;
    let outcome: &str = get(row, T, 6)?;
    let key_index: Option<i64> = get(row, T, 4)?;
    Ok(AuditEntry {
        id: get(row, T, 0)?,
        kukupay_id: order_id(T, get(row, T, 1)?)?,
        status: OrderStatus::parse(get(row, T, 2)?),
        body: Bytes::copy_from_slice(get::<&[u8]>(row, T, 3)?),
        key_index: key_index
            .map(|index| usize::try_from(index).map_err(|_| malformed(T, "key_index", index)))
            .transpose()?,
        source: Source::parse(source)
            .ok_or_else(|| malformed(T, "source", format!("{source:?}")))?,
        outcome: Outcome::parse(outcome)
            .ok_or_else(|| malformed(T, "outcome", format!("{outcome:?}")))?,
        received_at: from_millis(get(row, T, 7)?),
    })
}
