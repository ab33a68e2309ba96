//! Stored column values read back into typed values, for every backend: a value this code
//! cannot read is [`Error::MalformedRow`], never a guess.

use kukuruku_proto::{Amount, OrderId, OrderNumber};

use crate::error::Error;

/// The error for `column` of `table` holding `value`.
pub(crate) fn malformed(table: &'static str, column: &str, value: impl std::fmt::Display) -> Error {
    Error::MalformedRow {
        table,
        what: format!("column {column} holds {value}"),
    }
}

/// An `order_number` column.
pub(crate) fn order_number(
    table: &'static str,
    text: Option<String>,
) -> Result<Option<OrderNumber>, Error> {
    text.map(|text| {
        OrderNumber::new(&text).map_err(|_| malformed(table, "order_number", format!("{text:?}")))
    })
    .transpose()
}

/// A `kukupay_id` column.
pub(crate) fn order_id(table: &'static str, text: &str) -> Result<OrderId, Error> {
    OrderId::new(text).map_err(|_| malformed(table, "kukupay_id", format!("{text:?}")))
}

/// An `amount` column (minor units).
pub(crate) fn amount(table: &'static str, value: Option<i64>) -> Result<Option<Amount>, Error> {
    value
        .map(|value| {
            u64::try_from(value)
                .ok()
                .and_then(|units| Amount::new(units).ok())
                .ok_or_else(|| malformed(table, "amount", value))
        })
        .transpose()
}

/// An amount as stored (minor units, saturating).
pub(crate) fn amount_value(amount: Amount) -> i64 {
    i64::try_from(amount.minor_units()).unwrap_or(i64::MAX)
}
