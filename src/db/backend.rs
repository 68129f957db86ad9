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

/// A multi-row INSERT. `MultiConnection` has no batch insert, so the statement (the same one)
/// is built for the concrete connection. Insertable structs used here carry
/// `treat_none_as_default_value = false`, which makes SQLite run one real multi-row statement.
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::db::DbConnection::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    }};
}
