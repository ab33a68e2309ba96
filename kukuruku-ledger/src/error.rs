//! The ledger's error: what went wrong with the database, the schema, a row, or the call to
//! Kukuruku that the ledger wraps.

use std::sync::Arc;

/// The cause of an [`Error`], shared so that one failed commit can be reported to every
/// caller of its batch (see "group commit" in the crate docs).
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Why the ledger could not do what was asked.
///
/// Every variant means "nothing was recorded by this call" unless it says otherwise; the
/// callback route answers each of them with 503, so that Kukuruku delivers the callback again.
/// [`Error::is_retryable`] tells the failures that may pass by themselves (a busy or full
/// database) from those a human must fix (a newer schema, a malformed row).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database could not be opened or set up (WAL, synchronous, busy timeout).
    #[error("the ledger database could not be opened")]
    Open(#[source] Cause),
    /// The database was written by a newer version of this crate: this code does not know
    /// its tables, so it refuses to touch them.
    #[error(
        "the ledger database has schema version {found}, newer than the {supported} this code knows: upgrade kukuruku-ledger (or open an older copy of the database)"
    )]
    SchemaTooNew {
        /// The version recorded in the database.
        found: i64,
        /// The newest version this code can migrate to.
        supported: i64,
    },
    /// The database refuses writes (a read-only file, folder or mount, or `query_only`).
    #[error(
        "the ledger database is read-only: check the permissions of the file, its folder and the mount"
    )]
    ReadOnly(#[source] Cause),
    /// The disk (or the database's size limit) is full.
    #[error("the ledger database is full: free disk space or raise the size limit")]
    Full(#[source] Cause),
    /// Another process held the database's write lock for longer than the busy timeout.
    #[error("the ledger database stayed locked by another writer for longer than the busy timeout")]
    Busy(#[source] Cause),
    /// Any other failure of the database.
    #[error("the ledger database failed")]
    Database(#[source] Cause),
    /// A row holds a value this code cannot read (edited by hand, or written by a buggy
    /// program): the ledger will not guess.
    #[error("a row of the ledger table `{table}` is malformed ({what}); fix or remove it by hand")]
    MalformedRow {
        /// The table.
        table: &'static str,
        /// Which column held what.
        what: String,
    },
    /// An order with this number is already recorded with another type, amount or currency.
    #[error(
        "order number {order_number} is already recorded with a different type, amount or currency"
    )]
    OrderNumberTaken {
        /// The merchant's order number.
        order_number: String,
    },
    /// No order with this number is recorded.
    #[error("no order with number {order_number} is recorded")]
    UnknownOrder {
        /// The merchant's order number.
        order_number: String,
    },
    /// No event with this id exists.
    #[error("no event with id {0} exists")]
    UnknownEvent(i64),
    /// Code run inside the ledger's transaction failed; its changes were rolled back.
    #[error("the code run inside the ledger's transaction failed; its changes were rolled back")]
    Closure(#[source] Cause),
    /// Code run inside the ledger's transaction panicked; its changes were rolled back.
    #[error("the code run inside the ledger's transaction panicked; its changes were rolled back")]
    Panicked,
    /// The ledger's writer has stopped (the store was closed, or its thread died).
    #[error("the ledger's writer has stopped; open the store again")]
    WriterStopped,
    /// The call to Kukuruku failed (after the order was recorded locally).
    #[error("the call to Kukuruku failed")]
    Kukuruku(#[source] Arc<kukuruku_tower::Error>),
}

impl Error {
    /// `true` for failures that may pass without anyone acting: a busy database, or the
    /// database's general failure. `false` for those that need a fix: a newer schema, a
    /// malformed row, a read-only or full database.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Busy(_) | Self::Database(_) | Self::WriterStopped
        )
    }
}

impl Error {
    /// [`Error::Closure`] for the error of the merchant's code.
    pub(crate) fn closure(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let cause: Cause = Arc::from(error.into());
        Self::Closure(cause)
    }
}

impl From<kukuruku_tower::Error> for Error {
    fn from(error: kukuruku_tower::Error) -> Self {
        Self::Kukuruku(Arc::new(error))
    }
}
