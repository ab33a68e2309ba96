//! The audit log's reads (the `callbacks` table; `record.rs` appends to it).

use kukuruku_proto::OrderId;

use super::pool::Tx;
use super::rows::{audit, audit_columns};
use crate::audit::AuditEntry;
use crate::error::Error;

/// [`Store::audit`](crate::Store::audit).
pub(crate) async fn audit_of(tx: &Tx<'_>, id: &OrderId) -> Result<Vec<AuditEntry>, Error> {
    const SQL: &str = concat!(
        "SELECT ",
        audit_columns!(),
        " FROM callbacks
         WHERE order_ref = (SELECT id FROM orders WHERE kukupay_id = $1) OR (outcome = 'mismatch' AND kukupay_id = $1)
         ORDER BY id"
    );
    let rows = tx.query(SQL, &[&id.as_str()]).await?;
    rows.iter().map(audit).collect()
}
