//! What a tokio-postgres error means for the ledger: the typed [`Error`] it becomes.

use std::sync::Arc;

use tokio_postgres::error::SqlState;

use crate::error::Error;

/// What a failure is, by its SQLSTATE (none: the connection failed or was lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 25006: the server (a standby, `default_transaction_read_only`) refuses writes.
    ReadOnly,
    /// 53100: the server's disk is full.
    Full,
    /// 40001, 40P01, 55P03, 53300: a serialization failure, a deadlock, a lock not available,
    /// too many connections. Worth trying again.
    Busy,
    /// Anything else, a lost or refused connection included.
    Other,
}

/// The kind of failure SQLSTATE `code` means.
pub(crate) fn kind(code: Option<&SqlState>) -> Kind {
    match code {
        Some(code) if *code == SqlState::READ_ONLY_SQL_TRANSACTION => Kind::ReadOnly,
        Some(code) if *code == SqlState::DISK_FULL => Kind::Full,
        Some(code)
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::LOCK_NOT_AVAILABLE
                || *code == SqlState::TOO_MANY_CONNECTIONS =>
        {
            Kind::Busy
        }
        _ => Kind::Other,
    }
}

/// The ledger's error for a tokio-postgres error: read-only, full, busy (retried by the
/// store a few times before it is reported), or a failure of the database (the connection
/// included: retryable).
pub(crate) fn classify(error: tokio_postgres::Error) -> Error {
    match kind(error.code()) {
        Kind::ReadOnly => Error::ReadOnly(Arc::new(error)),
        Kind::Full => Error::Full(Arc::new(error)),
        Kind::Busy => Error::Busy(Arc::new(error)),
        Kind::Other => Error::Database(Arc::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_kinds() {
        let of = |code: &str| kind(Some(&SqlState::from_code(code)));
        assert_eq!(of("25006"), Kind::ReadOnly);
        assert_eq!(of("53100"), Kind::Full);
        assert_eq!(of("40001"), Kind::Busy);
        assert_eq!(of("40P01"), Kind::Busy);
        assert_eq!(of("23505"), Kind::Other);
        assert_eq!(kind(None), Kind::Other);
    }
}
