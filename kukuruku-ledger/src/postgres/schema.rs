//! The schema and its versioned migrations, applied when a store connects: the SQLite
//! backend's tables, columns and meanings (`sqlite/schema.rs`), in PostgreSQL's types
//! (`BIGSERIAL` ids, `BYTEA` bodies, `BIGINT` milliseconds since the epoch).
//!
//! Connecting runs, in one transaction holding a transaction-level advisory lock (so several
//! instances starting at once migrate once, the others waiting and then finding the work
//! done), every migration above the recorded version; a database whose version is above
//! [`LATEST`] is refused with [`Error::SchemaTooNew`]. PostgreSQL's DDL is transactional: a
//! migration that fails leaves nothing behind. A migration is never edited once released.

use tokio_postgres::Client;

use super::failure::classify;
use crate::error::Error;

/// The advisory lock key the migrations hold (any constant; `ledger` in ASCII).
const LOCK: i64 = 0x0000_6C65_6467_6572;

/// Each migration, in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: [&str; 2] = [
    // Version 1.
    "CREATE TABLE orders (
        id            BIGSERIAL PRIMARY KEY,
        order_number  TEXT UNIQUE,
        kukupay_id    TEXT UNIQUE,
        order_type    TEXT,
        amount        BIGINT CHECK (amount >= 0),
        currency      TEXT,
        status        TEXT,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL,
        checks        BIGINT NOT NULL DEFAULT 0,
        next_check_at BIGINT
    );
    CREATE INDEX orders_unfinished ON orders (next_check_at, created_at)
        WHERE kukupay_id IS NOT NULL
          AND (status IS NULL OR status NOT IN ('paid', 'cancelled', 'expired', 'failed'));
    CREATE TABLE callbacks (
        id          BIGSERIAL PRIMARY KEY,
        order_ref   BIGINT NOT NULL REFERENCES orders (id),
        kukupay_id  TEXT NOT NULL,
        status      TEXT NOT NULL,
        body        BYTEA NOT NULL,
        key_index   BIGINT,
        source      TEXT NOT NULL CHECK (source IN ('callback', 'reconciler')),
        outcome     TEXT NOT NULL,
        received_at BIGINT NOT NULL
    );
    CREATE INDEX callbacks_order ON callbacks (order_ref);
    CREATE TABLE events (
        id            BIGSERIAL PRIMARY KEY,
        order_ref     BIGINT NOT NULL REFERENCES orders (id),
        callback_id   BIGINT NOT NULL REFERENCES callbacks (id),
        from_status   TEXT,
        to_status     TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        claimed_by    TEXT,
        claimed_until BIGINT,
        attempts      BIGINT NOT NULL DEFAULT 0,
        done_at       BIGINT,
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
pub(crate) async fn migrate(client: &mut Client) -> Result<(), Error> {
    let tx = client.transaction().await.map_err(classify)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await
        .map_err(classify)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await
        .map_err(classify)?;
    let found: Option<i64> = tx
        .query_one("SELECT max(version) FROM schema_version", &[])
        .await
        .map_err(classify)?
        .get(0);
    let found = found.unwrap_or(0);
    if found > LATEST {
        return Err(Error::SchemaTooNew {
            found,
            supported: LATEST,
        });
    }
    for (version, migration) in (1..=LATEST).zip(MIGRATIONS) {
        if version > found {
            tx.batch_execute(migration).await.map_err(classify)?;
            tracing::info!(version, "ledger schema migrated");
        }
    }
    if found < LATEST {
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(classify)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&LATEST],
        )
        .await
        .map_err(classify)?;
    }
    tx.commit().await.map_err(classify)
}
