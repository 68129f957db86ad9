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
/// SQLite's page cache while a big write runs. A 100,000-row import writes some 120 MB of pages,
/// more than any cache the import's memory target allows, so dirty pages spill to the WAL before
/// the commit whatever the size; 32, 48 and 64 MiB stored it equally fast (BENCHMARKS.md,
/// "Import"), and 32 MiB keeps the import's peak under 250 MiB.
pub const SQLITE_WRITE_CACHE_KIB: i64 = 32 * 1024;

/// SQLite's own default: a commit that leaves the write-ahead log longer than this many pages
/// copies the log into the database file (a checkpoint) before it returns.
pub const SQLITE_AUTOCHECKPOINT_PAGES: i64 = 1_000;

/// Runs `f` with the settings of a big write on SQLite (nothing to do on PostgreSQL), and puts
/// the connection's own back afterwards whatever `f` returned:
/// - the large page cache: a pooled connection must not keep 32 MiB of pages for every later
///   read;
/// - no automatic checkpoint: the commit of a 100,000-row import would otherwise copy its
///   100 MB of log into the database file and wait for the disk before returning (110 of its
///   210 ms, BENCHMARKS.md, "Import"). The transaction is durable once its log is synced; the
///   copy is housekeeping, which [`checkpoint`] does after the answer is out (SQLite's own
///   advice for WAL applications). Left undone, the next commit of any connection does it.
pub fn with_bulk_write_settings<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute(&format!(
            "PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0;"
        ))?;
    }
    let out = f(conn);
    // The work is done (or refused) by now: failing to restore the settings must not turn a
    // stored import into an error, so it is logged.
    if sqlite
        && let Err(e) = conn.batch_execute(&format!(
            "PRAGMA cache_size = -{SQLITE_READ_CACHE_KIB}; \
             PRAGMA wal_autocheckpoint = {SQLITE_AUTOCHECKPOINT_PAGES};"
        ))
    {
        tracing::warn!(error = %e, "could not give the connection its own settings back");
    }
    out
}

/// Copies SQLite's write-ahead log into the database file, as far as no reader still needs it
/// (`PASSIVE`: waits for nobody), after an import whose commit left it there
/// ([`with_bulk_write_settings`]). Nothing to do on PostgreSQL. A failure is logged: the data is
/// committed either way, and the next commit or the last connection's close copies it.
pub fn checkpoint(conn: &mut DbConnection) {
    if let DbConnection::Sqlite(c) = conn
        && let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
    {
        tracing::warn!(error = %e, "could not checkpoint the write-ahead log");
    }
}

/// An import of at least this many items may refresh the planner's view of `items` afterwards.
pub const BIG_IMPORT_ITEMS: usize = 1_000;

/// After a big import, outside its transaction: on PostgreSQL, `VACUUM ANALYZE` of the item
/// tables, so the consolidated list's counts and pages are index-only scans at once (freshly
/// inserted rows are not yet all-visible, and every row would be fetched from the heap until
/// autovacuum came by: 237 → 57 ms for an unfiltered page of a 100,000-item round). SQLite needs
/// nothing. A failure is logged, never turned into a failed import: the rows are stored.
///
/// Only an import that is big in itself (`BIG_IMPORT_ITEMS`) and against the table (a fifth of
/// its rows, autovacuum's own insert threshold) pays for it: 50 departments of 2,000 items each
/// uploading one after another vacuumed the whole growing table 50 times, and the last uploads
/// waited more than ten minutes for their answer (`cargo bench --bench instances`). Autovacuum
/// takes the smaller ones. Concurrent imports of one process share one VACUUM: one that finds
/// another running asks it to go round once more and returns.
pub fn refresh_item_statistics(conn: &mut DbConnection, imported: usize) {
    let DbConnection::Postgres(c) = conn else {
        return;
    };
    if imported < BIG_IMPORT_ITEMS || !outside_transaction(c) {
        return;
    }
    #[derive(diesel::QueryableByName)]
    struct Live {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
    }
    let live = diesel::sql_query(
        "SELECT COALESCE(max(n_live_tup), 0)::bigint AS rows FROM pg_stat_user_tables \
         WHERE relname = 'items'",
    )
    .get_result::<Live>(c)
    .map_or(0, |l| l.rows);
    if (imported as i64).saturating_mul(5) < live {
        return;
    }
    vacuum_item_tables(conn);
}

/// VACUUM cannot run in a transaction (and its error would abort the caller's).
fn outside_transaction(c: &mut diesel::PgConnection) -> bool {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
        Ok(None)
    )
}

/// `VACUUM (ANALYZE) items, findings` on PostgreSQL (nothing on SQLite, nor inside a
/// transaction), shared by the concurrent callers of one process. [`refresh_item_statistics`]
/// decides when an import needs it; the benches call it to stand for autovacuum.
pub fn vacuum_item_tables(conn: &mut DbConnection) {
    use std::sync::atomic::{AtomicU8, Ordering};
    let DbConnection::Postgres(c) = conn else {
        return;
    };
    if !outside_transaction(c) {
        return;
    }
    // 0: no VACUUM running in this process; 1: one running; 2: one running, to go again.
    static STATE: AtomicU8 = AtomicU8::new(0);
    loop {
        match STATE.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(2) => return,
            Err(_) => {
                if STATE
                    .compare_exchange(1, 2, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return;
                }
                // It finished meanwhile: run one ourselves.
            }
        }
    }
    loop {
        if let Err(e) = c.batch_execute("VACUUM (ANALYZE) items, findings") {
            tracing::warn!(error = %e, "VACUUM ANALYZE after a big import failed");
        }
        if STATE
            .compare_exchange(1, 0, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return;
        }
        STATE.store(1, Ordering::Release);
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

/// The condition one public search term puts on `published_items` on PostgreSQL: its search
/// text contains the term, by LIKE (ILIKE where the term has letters with case), which the
/// `pg_trgm` GIN index answers for terms of three characters or more. The term is a bound
/// parameter with LIKE's `%`, `_` and `\` escaped, so no character of it is syntax. SQLite's
/// search is [`search_ids`].
pub fn postgres_search_condition(
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
    // Chinese has no case: plain LIKE spares PostgreSQL ILIKE's case folding.
    let op = if term.chars().any(|c| c.is_lowercase() || c.is_uppercase()) {
        "published_items.search_text ILIKE "
    } else {
        "published_items.search_text LIKE "
    };
    Box::new(
        sql::<Bool>(op)
            .bind::<Text, _>(like_contains(term))
            .sql(" ESCAPE '\\'"),
    )
}

/// The filters of a public search besides its terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchScope<'a> {
    pub publication_id: i64,
    pub list: Option<&'a str>,
    pub department_code: Option<&'a str>,
    pub kind: Option<&'a str>,
}

/// How SQLite answers one search term: the trigram index (three characters or more), the bigram
/// index (two letters or digits), or LIKE on the text (anything shorter or with punctuation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TermIndex {
    Trigram,
    Bigram,
    Like,
}

fn term_index(term: &str) -> TermIndex {
    let n = term.chars().count();
    if n >= 3 {
        TermIndex::Trigram
    } else if n == 2 && term.chars().all(char::is_alphanumeric) {
        TermIndex::Bigram
    } else {
        TermIndex::Like
    }
}

/// On SQLite, the ids of a publication's items that match every term and the filters, in
/// display (id) order, at most `limit` of them; `None` on PostgreSQL, whose search is the list's
/// query with [`postgres_search_condition`] per term.
///
/// The full-text index drives the query (`CROSS JOIN` keeps it the outer loop): it yields
/// matches in rowid order and the query stops after `limit`, so a term matching 40,000 items
/// costs as little as a rare one. Terms of two letters or digits use the bigram index
/// (`published_items_bigrams`, see [`bigrams`]) when no longer term is there to drive. Every
/// term is a bound parameter: one quoted FTS5 phrase, or LIKE-escaped.
pub fn search_ids(
    conn: &mut DbConnection,
    scope: SearchScope<'_>,
    terms: &[String],
    limit: i64,
) -> QueryResult<Option<Vec<i64>>> {
    use diesel::sql_types::{BigInt, Text};

    let DbConnection::Sqlite(c) = conn else {
        return Ok(None);
    };

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    let of = |index: TermIndex| -> Vec<&str> {
        terms
            .iter()
            .map(String::as_str)
            .filter(|t| term_index(t) == index)
            .collect()
    };
    let (trigram, bigram) = (of(TermIndex::Trigram), of(TermIndex::Bigram));
    let phrases = |terms: &[&str]| {
        terms
            .iter()
            .map(|t| fts5_phrase(t))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    // The driving index, and the terms left for LIKE.
    let (from, matched, like): (&str, Option<String>, Vec<&str>) = if !trigram.is_empty() {
        (
            "published_items_fts CROSS JOIN published_items AS p \
             ON p.id = published_items_fts.rowid WHERE published_items_fts MATCH ? AND ",
            Some(phrases(&trigram)),
            terms
                .iter()
                .map(String::as_str)
                .filter(|t| term_index(t) != TermIndex::Trigram)
                .collect(),
        )
    } else if !bigram.is_empty() {
        (
            "published_items_bigrams CROSS JOIN published_items AS p \
             ON p.id = published_items_bigrams.rowid WHERE published_items_bigrams MATCH ? AND ",
            Some(phrases(&bigram)),
            of(TermIndex::Like),
        )
    } else {
        (
            "published_items AS p WHERE ",
            None,
            terms.iter().map(String::as_str).collect(),
        )
    };
    let order = if matched.is_some() {
        if from.starts_with("published_items_fts") {
            "published_items_fts.rowid"
        } else {
            "published_items_bigrams.rowid"
        }
    } else {
        "p.id"
    };

    let mut q = diesel::sql_query(format!("SELECT p.id AS id FROM {from}"))
        .into_boxed::<diesel::sqlite::Sqlite>();
    if let Some(m) = matched {
        q = q.bind::<Text, _>(m);
    }
    q = q
        .sql("p.publication_id = ?")
        .bind::<BigInt, _>(scope.publication_id);
    if let Some(l) = scope.list {
        q = q.sql(" AND p.list = ?").bind::<Text, _>(l.to_string());
    }
    if let Some(d) = scope.department_code {
        q = q
            .sql(" AND p.department_code = ?")
            .bind::<Text, _>(d.to_string());
    }
    if let Some(k) = scope.kind {
        q = q.sql(" AND p.kind = ?").bind::<Text, _>(k.to_string());
    }
    for t in like {
        q = q
            .sql(" AND p.search_text LIKE ? ESCAPE '\\'")
            .bind::<Text, _>(like_contains(t));
    }
    q = q
        .sql(format!(" ORDER BY {order} LIMIT ?"))
        .bind::<BigInt, _>(limit);
    let rows: Vec<Id> = q.load(c)?;
    Ok(Some(rows.into_iter().map(|r| r.id).collect()))
}

/// The two-character windows of a text, separated by spaces: what the SQLite
/// bigram index holds for an item (the `unicode61` tokenizer splits windows holding a space or
/// punctuation into single characters, which no two-character term matches). The migration
/// `2026-11-27-000700_search_bigrams` fills older rows the same way.
pub fn bigrams(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 3);
    for pair in chars.windows(2) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(pair[0]);
        out.push(pair[1]);
    }
    out
}

/// Fills the SQLite bigram index for a publication just stored (nothing on PostgreSQL, whose
/// trigram index is used through LIKE).
pub fn index_bigrams(conn: &mut DbConnection, publication_id: i64) -> QueryResult<()> {
    use crate::db::schema::published_items;
    use diesel::sql_types::{BigInt, Text};

    let DbConnection::Sqlite(c) = conn else {
        return Ok(());
    };
    let rows: Vec<(i64, String)> = published_items::table
        .filter(published_items::publication_id.eq(publication_id))
        .select((published_items::id, published_items::search_text))
        .load(c)?;
    for chunk in rows.chunks(500) {
        let mut sql = String::from("INSERT INTO published_items_bigrams (rowid, bigrams) VALUES ");
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 { "(?, ?)" } else { ", (?, ?)" });
        }
        let mut q = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
        for (id, text) in chunk {
            q = q.bind::<BigInt, _>(*id).bind::<Text, _>(bigrams(text));
        }
        q.execute(c)?;
    }
    Ok(())
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

    #[test]
    fn bigrams_are_every_two_character_window() {
        assert_eq!(bigrams("道路运输"), "道路 路运 运输");
        assert_eq!(bigrams("驾"), "");
        // Windows holding a space become single characters when tokenised.
        assert_eq!(bigrams("A1 证"), "A1 1   证");
    }

    #[test]
    fn terms_pick_their_index() {
        assert_eq!(term_index("道路运输"), TermIndex::Trigram);
        assert_eq!(term_index("驾驶"), TermIndex::Bigram);
        assert_eq!(term_index("A1"), TermIndex::Bigram);
        assert_eq!(term_index("《道"), TermIndex::Like);
        assert_eq!(term_index("证"), TermIndex::Like);
    }
}
