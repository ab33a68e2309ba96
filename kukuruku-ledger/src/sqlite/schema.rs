//! The schema and its versioned migrations, applied when a store opens.
//!
//! `schema_version` holds one row: the version of the last migration applied. Opening runs,
//! in one `BEGIN IMMEDIATE` transaction (so two processes opening at once migrate once), every
//! migration above it; a database whose version is above [`LATEST`] is refused with
//! [`Error::SchemaTooNew`]. A migration is never edited once released: a change is a new one.
//!
//! Times are integer milliseconds since the Unix epoch; statuses, types, currencies, sources
//! and outcomes are their wire or stored texts (`paid`, `payin`, `RUB`, `callback`,
//! `advanced`). The PostgreSQL backend uses the same tables, columns and meanings.

use rusqlite::{Connection, OptionalExtension};

use super::failure::classify;
use crate::error::Error;

/// Each migration, in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: [&str; 2] = [
    // Version 1.
    "CREATE TABLE orders (
        id            INTEGER PRIMARY KEY,
        order_number  TEXT UNIQUE,
        kukupay_id    TEXT UNIQUE,
        order_type    TEXT,
        amount        INTEGER CHECK (amount >= 0),
        currency      TEXT,
        status        TEXT,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        checks        INTEGER NOT NULL DEFAULT 0,
        next_check_at INTEGER
    );
    CREATE INDEX orders_unfinished ON orders (next_check_at, created_at)
        WHERE kukupay_id IS NOT NULL
          AND (status IS NULL OR status NOT IN ('paid', 'cancelled', 'expired', 'failed'));
    CREATE TABLE callbacks (
        id          INTEGER PRIMARY KEY,
        order_ref   INTEGER NOT NULL REFERENCES orders (id),
        kukupay_id  TEXT NOT NULL,
        status      TEXT NOT NULL,
        body        BLOB NOT NULL,
        key_index   INTEGER,
        source      TEXT NOT NULL CHECK (source IN ('callback', 'reconciler')),
        outcome     TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX callbacks_order ON callbacks (order_ref);
    CREATE TABLE events (
        id            INTEGER PRIMARY KEY,
        order_ref     INTEGER NOT NULL REFERENCES orders (id),
        callback_id   INTEGER NOT NULL REFERENCES callbacks (id),
        from_status   TEXT,
        to_status     TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        claimed_by    TEXT,
        claimed_until INTEGER,
        attempts      INTEGER NOT NULL DEFAULT 0,
        done_at       INTEGER,
        UNIQUE (order_ref, to_status)
    );
    CREATE INDEX events_pending ON events (id) WHERE done_at IS NULL;",
    // Version 2: an order's audit log is read through indexes only. A callback is filed under
    // its order (`callbacks_order`), except a mismatch (its order number belongs to an order
    // with another KukuPay id), found by its own id: this index holds those rows only.
    "CREATE INDEX callbacks_mismatch ON callbacks (kukupay_id) WHERE outcome = 'mismatch';",
];

/// The version this code brings a database to.
#[allow(clippy::cast_possible_wrap)] // a handful of migrations
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`LATEST`], or refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(classify)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(classify)?;
    let found: Option<i64> = tx
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(classify)?
        .flatten();
    let found = found.unwrap_or(0);
    if found > LATEST {
        return Err(Error::SchemaTooNew {
            found,
            supported: LATEST,
        });
    }
    for (version, migration) in (1..=LATEST).zip(MIGRATIONS) {
        if version > found {
            tx.execute_batch(migration).map_err(classify)?;
            tracing::info!(version, "ledger schema migrated");
        }
    }
    if found < LATEST {
        tx.execute("DELETE FROM schema_version", [])
            .map_err(classify)?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [LATEST])
            .map_err(classify)?;
    }
    tx.commit().map_err(classify)
}
