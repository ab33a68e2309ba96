//! The `orders` table: recording the orders the merchant creates, looking them up, and the
//! reconciler's schedule.

use std::time::{Duration, SystemTime};

use kukuruku_proto::{OrderId, OrderNumber};
use rusqlite::{Connection, Params, params};

use super::failure::classify;
use super::rows::{ORDER_COLUMNS, order};
use crate::columns::amount_value;
use crate::error::Error;
use crate::order::{NewOrder, OrderKey, OrderRecord};
use crate::timestamp::{duration_millis, to_millis};

/// The first row `sql` (a `SELECT` of [`ORDER_COLUMNS`]) returns.
fn one(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Option<(i64, OrderRecord)>, Error> {
    let mut statement = conn.prepare_cached(sql).map_err(classify)?;
    let mut rows = statement.query(params).map_err(classify)?;
    match rows.next().map_err(classify)? {
        Some(row) => order(row).map(Some),
        None => Ok(None),
    }
}

/// The order with this key, and its row id.
pub(crate) fn find(conn: &Connection, key: &OrderKey) -> Result<Option<(i64, OrderRecord)>, Error> {
    match key {
        OrderKey::Number(number) => one(
            conn,
            &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_number = ?1"),
            [number.as_str()],
        ),
        OrderKey::Id(id) => one(
            conn,
            &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE kukupay_id = ?1"),
            [id.as_str()],
        ),
    }
}

/// [`Store::record_order`](crate::Store::record_order).
pub(crate) fn record(conn: &Connection, order: &NewOrder, now: SystemTime) -> Result<(), Error> {
    let now = to_millis(now);
    let amount = amount_value(order.amount);
    match find(conn, &OrderKey::Number(order.order_number.clone()))? {
        None => {
            conn.prepare_cached(
                "INSERT INTO orders (order_number, order_type, amount, currency, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )
            .and_then(|mut insert| {
                insert.execute(params![
                    order.order_number.as_str(),
                    order.order_type.as_str(),
                    amount,
                    order.currency.code(),
                    now
                ])
            })
            .map_err(classify)?;
        }
        Some((_, record)) if !record.agrees_with(order) => {
            return Err(Error::OrderNumberTaken {
                order_number: order.order_number.as_str().to_owned(),
            });
        }
        Some((row, _)) => {
            conn.execute(
                "UPDATE orders SET order_type = coalesce(order_type, ?2), amount = coalesce(amount, ?3),
                     currency = coalesce(currency, ?4)
                 WHERE id = ?1",
                params![row, order.order_type.as_str(), amount, order.currency.code()],
            )
            .map_err(classify)?;
        }
    }
    Ok(())
}

/// [`Store::attach_id`](crate::Store::attach_id).
pub(crate) fn attach_id(
    conn: &Connection,
    number: &OrderNumber,
    id: &OrderId,
    now: SystemTime,
) -> Result<(), Error> {
    let taken = || Error::OrderNumberTaken {
        order_number: number.as_str().to_owned(),
    };
    let Some((row, record)) = find(conn, &OrderKey::Number(number.clone()))? else {
        return Err(Error::UnknownOrder {
            order_number: number.as_str().to_owned(),
        });
    };
    match &record.kukupay_id {
        Some(known) if known == id => return Ok(()),
        Some(_) => return Err(taken()),
        None => {}
    }
    if let Some((other, known)) = find(conn, &OrderKey::Id(id.clone()))? {
        // A callback without an order number made the order known first: give that row the
        // number and drop this one (it has no callbacks: none could find it).
        if known.order_number.is_some() {
            return Err(taken());
        }
        conn.execute("DELETE FROM orders WHERE id = ?1", [row])
            .map_err(classify)?;
        conn.execute(
            "UPDATE orders SET order_number = ?2, order_type = coalesce(order_type, ?3),
                 amount = coalesce(amount, ?4), currency = coalesce(currency, ?5), updated_at = ?6
             WHERE id = ?1",
            params![
                other,
                number.as_str(),
                record.order_type.as_ref().map(|t| t.as_str().to_owned()),
                record.amount.map(amount_value),
                record.currency.as_ref().map(|c| c.code().to_owned()),
                to_millis(now)
            ],
        )
        .map_err(classify)?;
        return Ok(());
    }
    conn.execute(
        "UPDATE orders SET kukupay_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![row, id.as_str(), to_millis(now)],
    )
    .map_err(classify)?;
    Ok(())
}

/// [`Store::due_for_check`](crate::Store::due_for_check).
pub(crate) fn due_for_check(
    conn: &Connection,
    now: SystemTime,
    min_age: Duration,
    limit: usize,
) -> Result<Vec<OrderRecord>, Error> {
    let now = to_millis(now);
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders
             WHERE kukupay_id IS NOT NULL
               AND (status IS NULL OR status NOT IN ('paid', 'cancelled', 'expired', 'failed'))
               AND created_at <= ?1 AND (next_check_at IS NULL OR next_check_at <= ?2)
             ORDER BY coalesce(next_check_at, 0), created_at
             LIMIT ?3"
        ))
        .map_err(classify)?;
    let mut rows = statement
        .query(params![
            now.saturating_sub(duration_millis(min_age)),
            now,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ])
        .map_err(classify)?;
    let mut due = Vec::new();
    while let Some(row) = rows.next().map_err(classify)? {
        due.push(order(row)?.1);
    }
    Ok(due)
}

/// [`Store::schedule_check`](crate::Store::schedule_check).
pub(crate) fn schedule_check(
    conn: &Connection,
    id: &OrderId,
    next_check_at: SystemTime,
) -> Result<(), Error> {
    conn.execute(
        "UPDATE orders SET checks = checks + 1, next_check_at = ?2 WHERE kukupay_id = ?1",
        params![id.as_str(), to_millis(next_check_at)],
    )
    .map_err(classify)?;
    Ok(())
}
