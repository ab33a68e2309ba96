//! Recording one status update: find the order (locking its row), append the audit row, move
//! the status only forward and add the event, inside the caller's transaction.

use kukuruku_proto::{Currency, Order, OrderNumber, OrderStatus, OrderType};

use super::orders::{RACES, lock, lost_race};
use super::pool::Tx;
use crate::columns::amount_value;
use crate::error::Error;
use crate::event::EventId;
use crate::order::{OrderKey, OrderRecord};
use crate::outcome::{Outcome, Recorded};
use crate::timestamp::from_millis;
use crate::update::Update;

/// [`Store::record_update`](crate::Store::record_update), `now` in milliseconds.
pub(crate) async fn record_update(
    tx: &Tx<'_>,
    update: &Update,
    now: i64,
) -> Result<Recorded, Error> {
    let order = &update.order;
    let (row, record, mismatch) = locate(tx, order, now).await?;
    let previous = record.status;
    let outcome = if mismatch {
        Outcome::Mismatch
    } else {
        Outcome::of(previous.as_ref(), &order.status)
    };
    let key_index = update
        .key_index
        .map(|i| i64::try_from(i).unwrap_or(i64::MAX));
    let audit_id: i64 = tx
        .query_opt(
            "INSERT INTO callbacks (order_ref, kukupay_id, status, body, key_index, source, outcome, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &row,
                &order.id.as_str(),
                &order.status.as_str(),
                &update.body.as_ref(),
                &key_index,
                &update.source.as_str(),
                &outcome.as_str(),
                &now,
            ],
        )
        .await?
        .map_or(0, |inserted| inserted.get(0));
    let event = if outcome == Outcome::Advanced {
        let from = previous.as_ref().map(OrderStatus::as_str);
        Some(advance(tx, row, order, from, audit_id, now).await?)
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

/// Moves the order to the update's status and adds the event: one statement.
async fn advance(
    tx: &Tx<'_>,
    row: i64,
    order: &Order,
    from: Option<&str>,
    audit_id: i64,
    now: i64,
) -> Result<EventId, Error> {
    let added = tx
        .query_opt(
            "WITH moved AS (
                 UPDATE orders SET status = $2, updated_at = $3, order_type = coalesce(order_type, $4),
                     amount = coalesce(amount, $5), currency = coalesce(currency, $6)
                 WHERE id = $1
             )
             INSERT INTO events (order_ref, callback_id, from_status, to_status, created_at)
             VALUES ($1, $7, $8, $2, $3) RETURNING id",
            &[
                &row,
                &order.status.as_str(),
                &now,
                &order.order_type.as_ref().map(OrderType::as_str),
                &order.amount.map(amount_value),
                &order.currency.as_ref().map(Currency::code),
                &audit_id,
                &from,
            ],
        )
        .await?;
    Ok(EventId(added.map_or(0, |row| row.get(0))))
}

/// The order an update is about, its row locked: by KukuPay id, else by order number (giving
/// it the id), else made known from the update. The flag is `true` when the order number
/// belongs to an order with another KukuPay id (a mismatch: nothing will change).
async fn locate(tx: &Tx<'_>, order: &Order, now: i64) -> Result<(i64, OrderRecord, bool), Error> {
    for _ in 0..RACES {
        if let Some((row, record)) = lock(tx, &OrderKey::Id(order.id.clone())).await? {
            return Ok((row, record, false));
        }
        if let Some(number) = &order.order_number
            && let Some((row, mut record)) = lock(tx, &OrderKey::Number(number.clone())).await?
        {
            match &record.kukupay_id {
                // Given this id by a concurrent update while this one waited for the lock.
                Some(known) if *known == order.id => return Ok((row, record, false)),
                Some(_) => return Ok((row, record, true)),
                None => {}
            }
            tx.execute(
                "UPDATE orders SET kukupay_id = $2, updated_at = $3 WHERE id = $1",
                &[&row, &order.id.as_str(), &now],
            )
            .await?;
            record.kukupay_id = Some(order.id.clone());
            return Ok((row, record, false));
        }
        if let Some(row) = insert(tx, order, now).await? {
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
            return Ok((row, record, false));
        }
        // A concurrent update (another instance) inserted the order first: lock it.
    }
    Err(lost_race())
}

/// Inserts the order an update made known; `None` when a concurrent insert won (the row is
/// then committed and visible: `ON CONFLICT` waited for it). The new row is this
/// transaction's own: nobody else can lock it until the commit.
async fn insert(tx: &Tx<'_>, order: &Order, now: i64) -> Result<Option<i64>, Error> {
    let row = tx
        .query_opt(
            "INSERT INTO orders (order_number, kukupay_id, order_type, amount, currency, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id",
            &[
                &order.order_number.as_ref().map(OrderNumber::as_str),
                &order.id.as_str(),
                &order.order_type.as_ref().map(OrderType::as_str),
                &order.amount.map(amount_value),
                &order.currency.as_ref().map(Currency::code),
                &now,
            ],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}
