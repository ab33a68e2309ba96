//! What a rusqlite error means for the ledger: the typed [`Error`] it becomes.

use std::sync::Arc;

use rusqlite::ErrorCode;

use crate::error::Error;

/// The ledger's error for a rusqlite error: read-only, full, busy, a malformed value, or a
/// failure of the database.
pub(crate) fn classify(error: rusqlite::Error) -> Error {
    let code = error.sqlite_error_code();
    match (&error, code) {
        (_, Some(ErrorCode::ReadOnly)) => Error::ReadOnly(Arc::new(error)),
        (_, Some(ErrorCode::DiskFull)) => Error::Full(Arc::new(error)),
        (_, Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)) => {
            Error::Busy(Arc::new(error))
        }
        (
            rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..),
            _,
        ) => Error::MalformedRow {
            table: "?",
            what: error.to_string(),
        },
        _ => Error::Database(Arc::new(error)),
    }
}

/// Like [`classify`], naming the table a malformed value was read from.
pub(crate) fn in_table(table: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |error| match classify(error) {
        Error::MalformedRow { what, .. } => Error::MalformedRow { table, what },
        other => other,
    }
}
