//! The `orders` table: recording the orders the merchant creates, looking them up (locking
//! the row for the rest of the transaction), and the reconciler's schedule.

use std::time::{Duration, SystemTime};

use kukuruku_proto::{Currency, OrderId, OrderNumber, OrderType};

use super::pool::Tx;
use super::rows::{order, order_columns};
use crate::columns::amount_value;
use crate::error::Error;
use crate::order::{NewOrder, OrderKey, OrderRecord};
use crate::timestamp::{duration_millis, to_millis};

/// How many times an insert that lost a race to a concurrent one looks the order up again.
pub(crate) const RACES: usize = 3;

/// The order with this key and its id, without locking it.
pub(crate) async fn find(tx: &Tx<'_>, key: &OrderKey) -> Result<Option<(i64, OrderRecord)>, Error> {
    let row = match key {
        OrderKey::Number(number) => {
            const SQL: &str = concat!(
                "SELECT ",
                order_columns!(),
                " FROM orders WHERE order_number = $1"
            );
            tx.query_opt(SQL, &[&number.as_str()]).await?
        }
        OrderKey::Id(id) => {
            const SQL: &str = concat!(
                "SELECT ",
                order_columns!(),
                " FROM orders WHERE kukupay_id = $1"
            );
            tx.query_opt(SQL, &[&id.as_str()]).await?
        }
    };
    row.as_ref().map(order).transpose()
}

/// The order with this key and its id, its row locked (`FOR UPDATE`) until the transaction
/// ends: concurrent updates of one order, from any instance, take turns.
pub(crate) async fn lock(tx: &Tx<'_>, key: &OrderKey) -> Result<Option<(i64, OrderRecord)>, Error> {
    let row = match key {
        OrderKey::Number(number) => {
            const SQL: &str = concat!(
                "SELECT ",
                order_columns!(),
                " FROM orders WHERE order_number = $1 FOR UPDATE"
            );
            tx.query_opt(SQL, &[&number.as_str()]).await?
        }
        OrderKey::Id(id) => {
            const SQL: &str = concat!(
                "SELECT ",
                order_columns!(),
                " FROM orders WHERE kukupay_id = $1 FOR UPDATE"
            );
            tx.query_opt(SQL, &[&id.as_str()]).await?
        }
    };
    row.as_ref().map(order).transpose()
}

/// [`Store::record_order`](crate::Store::record_order).
pub(crate) async fn record(tx: &Tx<'_>, order: &NewOrder, now: SystemTime) -> Result<(), Error> {
    let now = to_millis(now);
    let amount = amount_value(order.amount);
    let key = OrderKey::Number(order.order_number.clone());
    for _ in 0..RACES {
        match lock(tx, &key).await? {
            None => {
                let inserted = tx
                    .execute(
                        "INSERT INTO orders (order_number, order_type, amount, currency, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
                        &[&order.order_number.as_str(), &order.order_type.as_str(), &amount, &order.currency.code(), &now],
                    )
                    .await?;
                if inserted == 1 {
                    return Ok(());
                }
                // Another instance inserted it meanwhile: look again.
            }
            Some((_, record)) if !record.agrees_with(order) => {
                return Err(Error::OrderNumberTaken {
                    order_number: order.order_number.as_str().to_owned(),
                });
            }
            Some((row, _)) => {
                tx.execute(
                    "UPDATE orders SET order_type = coalesce(order_type, $2), amount = coalesce(amount, $3),
                         currency = coalesce(currency, $4)
                     WHERE id = $1",
                    &[&row, &order.order_type.as_str(), &amount, &order.currency.code()],
                )
                .await?;
                return Ok(());
            }
        }
    }
    Err(lost_race())
}

/// The error after [`RACES`] lost races (concurrent inserts and deletes of one order).
pub(crate) fn lost_race() -> Error {
    Error::Busy(std::sync::Arc::from(Box::<
        dyn std::error::Error + Send + Sync,
    >::from(
        "the order was inserted and removed concurrently too many times",
    )))
}

/// [`Store::attach_id`](crate::Store::attach_id).
pub(crate) async fn attach_id(
    tx: &Tx<'_>,
    number: &OrderNumber,
    id: &OrderId,
    now: SystemTime,
) -> Result<(), Error> {
    let taken = || Error::OrderNumberTaken {
        order_number: number.as_str().to_owned(),
    };
    let now = to_millis(now);
    let Some((row, record)) = lock(tx, &OrderKey::Number(number.clone())).await? else {
        return Err(Error::UnknownOrder {
            order_number: number.as_str().to_owned(),
        });
    };
    match &record.kukupay_id {
        Some(known) if known == id => return Ok(()),
        Some(_) => return Err(taken()),
        None => {}
    }
    if let Some((other, known)) = lock(tx, &OrderKey::Id(id.clone())).await? {
        // A callback without an order number made the order known first: give that row the
        // number and drop this one (it has no callbacks: none could find it).
        if known.order_number.is_some() {
            return Err(taken());
        }
        tx.execute("DELETE FROM orders WHERE id = $1", &[&row])
            .await?;
        tx.execute(
            "UPDATE orders SET order_number = $2, order_type = coalesce(order_type, $3),
                 amount = coalesce(amount, $4), currency = coalesce(currency, $5), updated_at = $6
             WHERE id = $1",
            &[
                &other,
                &number.as_str(),
                &record.order_type.as_ref().map(OrderType::as_str),
                &record.amount.map(amount_value),
                &record.currency.as_ref().map(Currency::code),
                &now,
            ],
        )
        .await?;
        return Ok(());
    }
    tx.execute(
        "UPDATE orders SET kukupay_id = $2, updated_at = $3 WHERE id = $1",
        &[&row, &id.as_str(), &now],
    )
    .await?;
    Ok(())
}

/// [`Store::due_for_check`](crate::Store::due_for_check).
pub(crate) async fn due_for_check(
    tx: &Tx<'_>,
    now: SystemTime,
    min_age: Duration,
    limit: usize,
) -> Result<Vec<OrderRecord>, Error> {
    const SQL: &str = concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders
         WHERE kukupay_id IS NOT NULL
           AND (status IS NULL OR status NOT IN ('paid', 'cancelled', 'expired', 'failed'))
           AND created_at <= $1 AND (next_check_at IS NULL OR next_check_at <= $2)
         ORDER BY coalesce(next_check_at, 0), created_at
         LIMIT $3"
    );
    let now = to_millis(now);
    let rows = tx
        .query(
            SQL,
            &[
                &now.saturating_sub(duration_millis(min_age)),
                &now,
                &i64::try_from(limit).unwrap_or(i64::MAX),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| order(row).map(|(_, record)| record))
        .collect()
}

/// [`Store::schedule_check`](crate::Store::schedule_check).
pub(crate) async fn schedule_check(
    tx: &Tx<'_>,
    id: &OrderId,
    next_check_at: SystemTime,
) -> Result<(), Error> {
    tx.execute(
        "UPDATE orders SET checks = checks + 1, next_check_at = $2 WHERE kukupay_id = $1",
        &[&id.as_str(), &to_millis(next_check_at)],
    )
    .await?;
    Ok(())
}
