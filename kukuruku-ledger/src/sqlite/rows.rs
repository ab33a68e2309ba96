//! Reading the ledger's rows into typed values; a value this code cannot read is
//! [`Error::MalformedRow`], never a guess.

use std::time::SystemTime;

use bytes::Bytes;
use kukuruku_proto::{Currency, OrderStatus, OrderType};
use rusqlite::Row;

use crate::audit::AuditEntry;
use crate::columns::{amount, malformed, order_id, order_number};
use crate::error::Error;
use crate::event::{Event, EventId};
use crate::order::OrderRecord;
use crate::outcome::Outcome;
use crate::timestamp::from_millis;
use crate::update::Source;

/// The columns of `orders` that [`order`] reads, in its order.
pub(crate) const ORDER_COLUMNS: &str = "id, order_number, kukupay_id, order_type, amount, currency, status, created_at, updated_at, checks, next_check_at";

fn get<T: rusqlite::types::FromSql>(
    row: &Row<'_>,
    table: &'static str,
    index: usize,
) -> Result<T, Error> {
    row.get(index).map_err(super::failure::in_table(table))
}

fn time(value: i64) -> SystemTime {
    from_millis(value)
}

/// A row of `orders` read with [`ORDER_COLUMNS`]: its row id and the record.
pub(crate) fn order(row: &Row<'_>) -> Result<(i64, OrderRecord), Error> {
    const T: &str = "orders";
    let checks: i64 = get(row, T, 9)?;
    let record = OrderRecord {
        order_number: order_number(T, get(row, T, 1)?)?,
        kukupay_id: get::<Option<String>>(row, T, 2)?
            .map(|id| order_id(T, &id))
            .transpose()?,
        order_type: get::<Option<String>>(row, T, 3)?.map(|text| OrderType::parse(&text)),
        amount: amount(T, get(row, T, 4)?)?,
        currency: get::<Option<String>>(row, T, 5)?.map(|code| Currency::from_code(&code)),
        status: get::<Option<String>>(row, T, 6)?.map(|text| OrderStatus::parse(&text)),
        created_at: time(get(row, T, 7)?),
        updated_at: time(get(row, T, 8)?),
        checks: u32::try_from(checks).map_err(|_| malformed(T, "checks", checks))?,
        next_check_at: get::<Option<i64>>(row, T, 10)?.map(time),
    };
    Ok((get(row, T, 0)?, record))
}

/// The columns [`event`] reads: an event joined with its order.
pub(crate) const EVENT_COLUMNS: &str = "e.id, o.order_number, o.kukupay_id, o.order_type, o.amount, o.currency, e.from_status, e.to_status, e.created_at, e.attempts";

/// A row read with [`EVENT_COLUMNS`].
pub(crate) fn event(row: &Row<'_>) -> Result<Event, Error> {
    const T: &str = "events";
    let attempts: i64 = get(row, T, 9)?;
    let kukupay_id: Option<String> = get(row, T, 2)?;
    Ok(Event {
        id: EventId(get(row, T, 0)?),
        order_number: order_number(T, get(row, T, 1)?)?,
        kukupay_id: order_id(
            T,
            &kukupay_id.ok_or_else(|| malformed(T, "kukupay_id", "NULL"))?,
        )?,
        order_type: get::<Option<String>>(row, T, 3)?.map(|text| OrderType::parse(&text)),
        amount: amount(T, get(row, T, 4)?)?,
        currency: get::<Option<String>>(row, T, 5)?.map(|code| Currency::from_code(&code)),
        from: get::<Option<String>>(row, T, 6)?.map(|text| OrderStatus::parse(&text)),
        to: OrderStatus::parse(&get::<String>(row, T, 7)?),
        recorded_at: time(get(row, T, 8)?),
        attempts: u32::try_from(attempts).map_err(|_| malformed(T, "attempts", attempts))?,
    })
}

/// The columns [`audit`] reads.
pub(crate) const AUDIT_COLUMNS: &str =
    "id, kukupay_id, status, body, key_index, source, outcome, received_at";

/// A row read with [`AUDIT_COLUMNS`].
pub(crate) fn audit(row: &Row<'_>) -> Result<AuditEntry, Error> {
    const T: &str = "callbacks";
    let source: String = get(row, T, 5)?;
    let outcome: String = get(row, T, 6)?;
    let key_index: Option<i64> = get(row, T, 4)?;
    Ok(AuditEntry {
        id: get(row, T, 0)?,
        kukupay_id: order_id(T, &get::<String>(row, T, 1)?)?,
        status: OrderStatus::parse(&get::<String>(row, T, 2)?),
        body: Bytes::from(get::<Vec<u8>>(row, T, 3)?),
        key_index: key_index
            .map(|index| usize::try_from(index).map_err(|_| malformed(T, "key_index", index)))
            .transpose()?,
        source: Source::parse(&source)
            .ok_or_else(|| malformed(T, "source", format!("{source:?}")))?,
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| malformed(T, "outcome", format!("{outcome:?}")))?,
        received_at: time(get(row, T, 7)?),
    })
}
