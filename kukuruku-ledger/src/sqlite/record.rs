//! Recording one status update: find the order, append the audit row, move the status only
//! forward and add the event, inside the batch's transaction.

use std::time::SystemTime;

use kukuruku_proto::{Currency, Order, OrderNumber, OrderStatus, OrderType};
use rusqlite::{Connection, params};

use super::failure::classify;
use super::orders::find;
use crate::columns::amount_value;
use crate::error::Error;
use crate::event::EventId;
use crate::order::{OrderKey, OrderRecord};
use crate::outcome::{Outcome, Recorded};
use crate::timestamp::{from_millis, to_millis};
use crate::update::Update;

/// [`Store::record_update`](crate::Store::record_update).
pub(crate) fn record_update(
    conn: &Connection,
    update: &Update,
    now: SystemTime,
) -> Result<Recorded, Error> {
    let order = &update.order;
    let now = to_millis(now);
    let (row, record, mismatch) = locate(conn, order, now)?;
    let previous = record.status;
    let outcome = if mismatch {
        Outcome::Mismatch
    } else {
        Outcome::of(previous.as_ref(), &order.status)
    };
    conn.prepare_cached(
        "INSERT INTO callbacks (order_ref, kukupay_id, status, body, key_index, source, outcome, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            row,
            order.id.as_str(),
            order.status.as_str(),
            update.body.as_ref(),
            update.key_index.map(|i| i64::try_from(i).unwrap_or(i64::MAX)),
            update.source.as_str(),
            outcome.as_str(),
            now
        ])
    })
    .map_err(classify)?;
    let audit_id = conn.last_insert_rowid();
    let event = if outcome == Outcome::Advanced {
        advance(
            conn,
            row,
            order,
            previous.as_ref().map(OrderStatus::as_str),
            audit_id,
            now,
        )?;
        Some(EventId(conn.last_insert_rowid()))
    } else {
        None
    };
    Ok(Recorded {
        outcome,
        audit_id,
        event,
        previous,
    })
}

/// Moves the order to the update's status and adds the event.
fn advance(
    conn: &Connection,
    row: i64,
    order: &Order,
    from: Option<&str>,
    audit_id: i64,
    now: i64,
) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE orders SET status = ?2, updated_at = ?3, order_type = coalesce(order_type, ?4),
             amount = coalesce(amount, ?5), currency = coalesce(currency, ?6)
         WHERE id = ?1",
    )
    .and_then(|mut update| {
        update.execute(params![
            row,
            order.status.as_str(),
            now,
            order.order_type.as_ref().map(OrderType::as_str),
            order.amount.map(amount_value),
            order.currency.as_ref().map(Currency::code)
        ])
    })
    .and_then(|_| {
        conn.prepare_cached(
            "INSERT INTO events (order_ref, callback_id, from_status, to_status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![row, audit_id, from, order.status.as_str(), now])
    })
    .map_err(classify)?;
    Ok(())
}

/// The order an update is about, by KukuPay id, else by order number (giving it the id),
/// else made known from the update. The flag is `true` when the order number belongs to an
/// order with another KukuPay id (a mismatch: nothing will change).
fn locate(conn: &Connection, order: &Order, now: i64) -> Result<(i64, OrderRecord, bool), Error> {
    if let Some((row, record)) = find(conn, &OrderKey::Id(order.id.clone()))? {
        return Ok((row, record, false));
    }
    if let Some(number) = &order.order_number
        && let Some((row, mut record)) = find(conn, &OrderKey::Number(number.clone()))?
    {
        if record.kukupay_id.is_some() {
            return Ok((row, record, true));
        }
        conn.prepare_cached("UPDATE orders SET kukupay_id = ?2, updated_at = ?3 WHERE id = ?1")
            .and_then(|mut attach| attach.execute(params![row, order.id.as_str(), now]))
            .map_err(classify)?;
        record.kukupay_id = Some(order.id.clone());
        return Ok((row, record, false));
    }
    conn.prepare_cached(
        "INSERT INTO orders (order_number, kukupay_id, order_type, amount, currency, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            order.order_number.as_ref().map(OrderNumber::as_str),
            order.id.as_str(),
            order.order_type.as_ref().map(OrderType::as_str),
            order.amount.map(amount_value),
            order.currency.as_ref().map(Currency::code),
            now
        ])
    })
    .map_err(classify)?;
    let record = OrderRecord {
        order_number: order.order_number.clone(),
        kukupay_id: Some(order.id.clone()),
        order_type: order.order_type.clone(),
        amount: order.amount,
        currency: order.currency.clone(),
        status: None,
        created_at: from_millis(now),
        updated_at: from_millis(now),
        checks: 0,
        next_check_at: None,
    };
    Ok((conn.last_insert_rowid(), record, false))
}
