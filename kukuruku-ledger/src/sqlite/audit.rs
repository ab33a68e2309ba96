//! The audit log's reads (the `callbacks` table; `record.rs` appends to it).

use kukuruku_proto::OrderId;
use rusqlite::Connection;

use super::failure::classify;
use super::rows::{AUDIT_COLUMNS, audit};
use crate::audit::AuditEntry;
use crate::error::Error;

/// [`Store::audit`](crate::Store::audit).
pub(crate) fn audit_of(conn: &Connection, id: &OrderId) -> Result<Vec<AuditEntry>, Error> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {AUDIT_COLUMNS} FROM callbacks
             WHERE order_ref = (SELECT id FROM orders WHERE kukupay_id = ?1) OR (outcome = 'mismatch' AND kukupay_id = ?1)
             ORDER BY id"
        ))
        .map_err(classify)?;
    let mut rows = statement.query([id.as_str()]).map_err(classify)?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next().map_err(classify)? {
        entries.push(audit(row)?);
    }
    Ok(entries)
}
