//! The only statements that differ per backend (STYLE.md lesson 3). Everything else is written
//! once against `DbConnection`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::DbConnection;

/// Serialises writers of the audit chain head. SQLite write transactions are IMMEDIATE and so
/// already exclusive; PostgreSQL needs a table lock that readers do not notice.
pub fn lock_audit_head(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => {
            c.batch_execute("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
        }
    }
}
