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

/// Serialises the imports into one round. Two uploads of the same department would otherwise
/// both read the same submission in force and both stay current; two of different departments
/// would each compute R09 (the same licence listed twice) without seeing the other's items.
/// SQLite write transactions are IMMEDIATE and so already one at a time; PostgreSQL locks the
/// round's row (NO KEY UPDATE: rows referencing the round can still be inserted meanwhile).
/// The import that takes the lock second sees the first committed and supersedes it.
pub fn lock_round_imports(conn: &mut DbConnection, round_id: i64) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT id FROM rounds WHERE id = $1 FOR NO KEY UPDATE")
                .bind::<diesel::sql_types::BigInt, _>(round_id)
                .execute(c)
                .map(drop)
        }
    }
}

/// SQLite's page cache per pooled connection while reading (the pragma at connect), in KiB.
pub const SQLITE_READ_CACHE_KIB: i64 = 16 * 1024;
/// SQLite's page cache while a big write runs: a 100,000-row import's transaction then stays in
/// memory instead of spilling dirty pages to the WAL one by one before it commits.
pub const SQLITE_WRITE_CACHE_KIB: i64 = 64 * 1024;

/// Runs `f` with the large page cache on SQLite (nothing to do on PostgreSQL), and puts the
/// connection's cache back afterwards whatever `f` returned: a pooled connection must not keep
/// 64 MiB of pages for every later read.
pub fn with_write_cache<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}"))?;
    }
    let out = f(conn);
    // The work is done (or refused) by now: failing to shrink the cache must not turn a stored
    // import into an error, so it is logged.
    if sqlite
        && let Err(e) = conn.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_READ_CACHE_KIB}"))
    {
        tracing::warn!(error = %e, "could not give the connection its read cache back");
    }
    out
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

/// Which SQL a connection speaks, for the few statements built apart from the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub fn dialect(conn: &DbConnection) -> Dialect {
    match conn {
        DbConnection::Sqlite(_) => Dialect::Sqlite,
        DbConnection::Postgres(_) => Dialect::Postgres,
    }
}

/// The condition one public search term puts on `published_items`: its search text contains
/// the term. Terms of three characters or more use the backend's trigram index (SQLite FTS5
/// `trigram`, PostgreSQL `pg_trgm` GIN under ILIKE); shorter ones, which no trigram index can
/// answer, fall back to LIKE on the rows the other filters leave. The term is always a bound
/// parameter: for FTS5 it is one quoted phrase (inner quotes doubled), for LIKE its `%`, `_`
/// and `\` are escaped, so no character of it is syntax.
pub fn published_search_condition(
    dialect: Dialect,
    term: &str,
) -> Box<
    dyn BoxableExpression<
            crate::db::schema::published_items::table,
            super::MultiBackend,
            SqlType = diesel::sql_types::Bool,
        >,
> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let trigram = term.chars().count() >= 3;
    match dialect {
        Dialect::Sqlite if trigram => Box::new(
            sql::<Bool>(
                "published_items.id IN (SELECT rowid FROM published_items_fts \
                 WHERE published_items_fts MATCH ",
            )
            .bind::<Text, _>(fts5_phrase(term))
            .sql(")"),
        ),
        Dialect::Sqlite => Box::new(
            sql::<Bool>("published_items.search_text LIKE ")
                .bind::<Text, _>(like_contains(term))
                .sql(" ESCAPE '\\'"),
        ),
        // Chinese has no case: plain LIKE spares PostgreSQL ILIKE's case folding.
        Dialect::Postgres if !term.chars().any(|c| c.is_lowercase() || c.is_uppercase()) => {
            Box::new(
                sql::<Bool>("published_items.search_text LIKE ")
                    .bind::<Text, _>(like_contains(term))
                    .sql(" ESCAPE '\\'"),
            )
        }
        Dialect::Postgres => Box::new(
            sql::<Bool>("published_items.search_text ILIKE ")
                .bind::<Text, _>(like_contains(term))
                .sql(" ESCAPE '\\'"),
        ),
    }
}

/// A term as one FTS5 phrase: `"…"` with every `"` doubled, so `*`, `^`, `NEAR`, `AND`, `(`
/// and `:` inside it are plain text.
pub fn fts5_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// `%term%` with LIKE's own characters escaped by `\`.
pub fn like_contains(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_are_quoted_and_escaped() {
        assert_eq!(fts5_phrase("道路运输"), "\"道路运输\"");
        assert_eq!(fts5_phrase("a\"b* NEAR"), "\"a\"\"b* NEAR\"");
        assert_eq!(like_contains("%_\\证"), "%\\%\\_\\\\证%");
    }
}
