//! Both migration sets give the same logical schema: tables, columns, types, nullability,
//! foreign keys, unique keys, indexes and named CHECK constraints. And every enumeration CHECK
//! allows exactly the codes of the domain.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestDb;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use nianjian::db::DbConnection;
use nianjian::domain::{BasisLevel, Disposition, DocumentStatus, Kind, Severity, TiedTo};

#[derive(Debug, Default, PartialEq)]
struct Schema {
    /// table → column → (type, nullable)
    columns: BTreeMap<String, BTreeMap<String, (String, bool)>>,
    /// (table, column, referenced table, referenced column)
    foreign_keys: BTreeSet<(String, String, String, String)>,
    /// (table, columns) of unique keys other than primary keys
    uniques: BTreeSet<(String, Vec<String>)>,
    /// index name → (table, columns)
    indexes: BTreeMap<String, (String, Vec<String>)>,
    /// constraint name → (string literals, numbers)
    checks: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Sql {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = BigInt)]
    notnull: i64,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct Fk {
    #[diesel(sql_type = Text)]
    from_col: String,
    #[diesel(sql_type = Text)]
    to_table: String,
    #[diesel(sql_type = Text)]
    to_col: String,
}

#[derive(QueryableByName)]
struct Index {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    unique_constraint: String,
    #[diesel(sql_type = Text)]
    columns: String,
}

#[derive(QueryableByName)]
struct PgCheck {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

#[derive(QueryableByName)]
struct PgFk {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from_col: String,
    #[diesel(sql_type = Text)]
    to_table: String,
    #[diesel(sql_type = Text)]
    to_col: String,
}

fn canonical_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" => "int",
        "text" => "text",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "boolean" => "bool",
        "double" | "double precision" => "float",
        "blob" | "bytea" => "bytes",
        "date" => "date",
        other => panic!("a column type outside the portable set: {other}"),
    }
    .to_string()
}

fn literals(def: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut strings = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    let mut chars = def.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            let rest = &def[i + 1..];
            if let Some(end) = rest.find('\'') {
                strings.insert(rest[..end].to_string());
                for _ in 0..=rest[..end].chars().count() {
                    chars.next();
                }
            }
        } else if c.is_ascii_digit()
            && !def[..i].ends_with(|p: char| p.is_alphanumeric() || p == '_')
        {
            let num: String = def[i..].chars().take_while(char::is_ascii_digit).collect();
            for _ in 1..num.len() {
                chars.next();
            }
            numbers.insert(num);
        }
    }
    (strings, numbers)
}

/// The text of each `CONSTRAINT name CHECK (...)` in a CREATE TABLE statement.
fn named_checks(sql: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(i) = rest.find("CONSTRAINT ") {
        rest = &rest[i + "CONSTRAINT ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        if let Some(body) = after.strip_prefix("CHECK") {
            let body = body.trim_start();
            let mut depth = 0;
            let mut end = 0;
            for (j, c) in body.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = j + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push((name, body[..end].to_string()));
        }
    }
    out
}

/// The search structures each backend builds its own way (migrations `2026-11-27-000200_search`
/// and `2026-11-27-000700_search_bigrams`): SQLite's FTS5 trigram and bigram tables and their
/// shadow tables, PostgreSQL's pg_trgm GIN index. They index the same column,
/// `published_items.search_text`, which both schemas share.
const BACKEND_SEARCH_TABLE_PREFIXES: &[&str] = &["published_items_fts", "published_items_bigrams"];
const BACKEND_SEARCH_INDEXES: &[&str] = &["published_items_search_trgm_idx"];

fn sqlite_schema(conn: &mut DbConnection) -> Schema {
    let mut s = Schema::default();
    let tables: Vec<Sql> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for t in tables.into_iter().filter(|t| {
        !BACKEND_SEARCH_TABLE_PREFIXES
            .iter()
            .any(|p| t.name.starts_with(p))
    }) {
        let cols: Vec<Column> = diesel::sql_query(format!(
            "SELECT name, type AS ty, \"notnull\" AS \"notnull\", pk FROM pragma_table_info('{}')",
            t.name
        ))
        .load(conn)
        .unwrap();
        let entry = s.columns.entry(t.name.clone()).or_default();
        for c in cols {
            entry.insert(c.name, (canonical_type(&c.ty), c.notnull == 0 && c.pk == 0));
        }
        let fks: Vec<Fk> = diesel::sql_query(format!(
            "SELECT \"from\" AS from_col, \"table\" AS to_table, \"to\" AS to_col FROM pragma_foreign_key_list('{}')",
            t.name
        ))
        .load(conn)
        .unwrap();
        for fk in fks {
            s.foreign_keys
                .insert((t.name.clone(), fk.from_col, fk.to_table, fk.to_col));
        }
        let indexes: Vec<Index> = diesel::sql_query(format!(
            "SELECT name, origin FROM pragma_index_list('{}')",
            t.name
        ))
        .load(conn)
        .unwrap();
        for idx in indexes {
            let cols: Vec<Name> = diesel::sql_query(format!(
                "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                idx.name
            ))
            .load(conn)
            .unwrap();
            let cols: Vec<String> = cols.into_iter().map(|c| c.name).collect();
            match idx.origin.as_str() {
                "u" => {
                    s.uniques.insert((t.name.clone(), cols));
                }
                "c" => {
                    s.indexes.insert(idx.name, (t.name.clone(), cols));
                }
                _ => {}
            }
        }
        for (name, def) in named_checks(&t.sql) {
            s.checks.insert(name, literals(&def));
        }
    }
    s
}

fn postgres_schema(conn: &mut DbConnection) -> Schema {
    #[derive(QueryableByName)]
    struct PgColumn {
        #[diesel(sql_type = Text)]
        table: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        ty: String,
        #[diesel(sql_type = Text)]
        nullable: String,
    }
    let mut s = Schema::default();
    let cols: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text AS table, column_name::text AS name, data_type::text AS ty, is_nullable::text AS nullable \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for c in cols {
        s.columns
            .entry(c.table)
            .or_default()
            .insert(c.name, (canonical_type(&c.ty), c.nullable == "YES"));
    }
    let fks: Vec<PgFk> = diesel::sql_query(
        "SELECT cl.relname::text AS table, a.attname::text AS from_col, rcl.relname::text AS to_table, ra.attname::text AS to_col \
         FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class rcl ON rcl.oid = con.confrelid \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1] \
         JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE con.contype = 'f' AND n.nspname = 'public'",
    )
    .load(conn)
    .unwrap();
    for fk in fks {
        s.foreign_keys
            .insert((fk.table, fk.from_col, fk.to_table, fk.to_col));
    }
    let indexes: Vec<PgIndex> = diesel::sql_query(
        "SELECT t.relname::text AS table, i.relname::text AS name, \
                CASE WHEN c.contype = 'u' THEN 'u' WHEN ix.indisprimary THEN 'p' ELSE 'c' END AS unique_constraint, \
                array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS columns \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_constraint c ON c.conindid = ix.indexrelid AND c.contype = 'u' \
         WHERE n.nspname = 'public' AND t.relname <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for idx in indexes
        .into_iter()
        .filter(|i| !BACKEND_SEARCH_INDEXES.contains(&i.name.as_str()))
    {
        let cols: Vec<String> = idx.columns.split(',').map(str::to_string).collect();
        match idx.unique_constraint.as_str() {
            "u" => {
                s.uniques.insert((idx.table, cols));
            }
            "c" => {
                s.indexes.insert(idx.name, (idx.table, cols));
            }
            _ => {}
        }
    }
    let checks: Vec<PgCheck> = diesel::sql_query(
        "SELECT con.conname::text AS name, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con \
         JOIN pg_namespace n ON n.oid = con.connamespace WHERE con.contype = 'c' AND n.nspname = 'public'",
    )
    .load(conn)
    .unwrap();
    for c in checks {
        s.checks.insert(c.name, literals(&c.def));
    }
    s
}

fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> BTreeSet<String> {
    all.iter().map(|v| code(*v).to_string()).collect()
}

#[test]
fn enumeration_checks_allow_exactly_the_domain_codes() {
    let t = TestDb::sqlite();
    let s = sqlite_schema(&mut t.db.conn().unwrap());
    let expect = [
        ("items_kind_check", codes(Kind::ALL, Kind::code)),
        ("published_items_kind_check", codes(Kind::ALL, Kind::code)),
        (
            "items_proposed_check",
            codes(Disposition::ALL, Disposition::code),
        ),
        (
            "decisions_disposition_check",
            codes(Disposition::ALL, Disposition::code),
        ),
        (
            "published_items_disposition_check",
            codes(Disposition::ALL, Disposition::code),
        ),
        ("items_tied_to_check", codes(TiedTo::ALL, TiedTo::code)),
        (
            "legal_bases_level_check",
            codes(BasisLevel::ALL, BasisLevel::code),
        ),
        (
            "legal_documents_level_check",
            codes(BasisLevel::ALL, BasisLevel::code),
        ),
        (
            "legal_documents_status_check",
            codes(DocumentStatus::ALL, DocumentStatus::code),
        ),
        (
            "findings_severity_check",
            codes(Severity::ALL, Severity::code),
        ),
    ];
    for (name, want) in expect {
        let got = &s
            .checks
            .get(name)
            .unwrap_or_else(|| panic!("missing CHECK {name}"))
            .0;
        assert_eq!(got, &want, "{name}");
    }
    let rules: BTreeSet<String> = (1..=11).map(|i| format!("R{i:02}")).collect();
    assert_eq!(s.checks["findings_code_check"].0, rules);
}

/// On SQLite every enumeration CHECK is a chain of equalities: SQLite checks a constant
/// `IN (…)` list through a temporary index built anew for each row, which cost a sixth of a
/// 100,000-row import (migration 2026-11-27-000900). The chains still refuse what they must.
#[test]
fn sqlite_enumeration_checks_are_equalities_and_still_refuse_other_codes() {
    let t = TestDb::sqlite();
    let mut conn = t.db.conn().unwrap();
    let tables: Vec<Sql> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL",
    )
    .load(&mut conn)
    .unwrap();
    let mut enumerations = 0;
    for table in &tables {
        for (name, def) in named_checks(&table.sql) {
            assert!(
                !def.to_uppercase().contains(" IN ("),
                "{}.{name} checks an IN list: {def}",
                table.name
            );
            enumerations += usize::from(def.contains(" OR "));
        }
    }
    assert!(enumerations >= 18, "{enumerations} enumeration CHECKs");
    let refused = diesel::sql_query(
        "INSERT INTO regions (code, name, level, created_at) \
         VALUES ('370000', '山东省', 'nation', '2026-11-27 00:00:00')",
    )
    .execute(&mut conn)
    .expect_err("a level outside the enumeration");
    assert!(
        refused.to_string().contains("regions_level_check"),
        "{refused}"
    );
    diesel::sql_query(
        "INSERT INTO regions (code, name, level, created_at) \
         VALUES ('370000', '山东省', 'province', '2026-11-27 00:00:00')",
    )
    .execute(&mut conn)
    .expect("a level of the enumeration");
}

/// The rows an import writes by the thousand refer to their parents through references that
/// SQLite checks at the commit (migration 2026-11-28-000100): an immediate one makes every
/// multi-row INSERT keep a statement journal. Deferred is not dropped: a row pointing nowhere,
/// written the way an import writes, fails the commit and nothing of the transaction stays — on
/// both backends. And the bulk path refuses to run outside a transaction at all.
#[test]
fn references_of_imported_rows_are_checked_at_the_commit_and_still_refuse_dangling_rows() {
    use nianjian::db::items::{MessageIds, NewFinding, insert_findings};
    let sqlite = TestDb::sqlite();
    let mut conn = sqlite.db.conn().unwrap();
    let tables: Vec<Sql> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' \
         AND name IN ('items', 'legal_bases', 'findings') ORDER BY name",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(tables.len(), 3);
    for t in &tables {
        let references = t.sql.matches(" REFERENCES ").count();
        let deferred = t.sql.matches(" DEFERRABLE INITIALLY DEFERRED").count();
        assert!(
            references > 0 && deferred == references,
            "{}: {}",
            t.name,
            t.sql
        );
    }

    let dangling = NewFinding {
        item_id: 999_999,
        code: "R01".into(),
        severity: "error".into(),
        message_zh: "无".into(),
        message_en: "none".into(),
        resolved: false,
        computed_at: nianjian::db::now(),
    };
    let outside = insert_findings(
        &mut conn,
        &mut MessageIds::default(),
        std::slice::from_ref(&dangling),
    )
    .expect_err("a bulk insert outside a transaction");
    assert!(
        outside.to_string().contains("outside a transaction"),
        "{outside}"
    );

    let postgres = TestDb::postgres();
    let mut backends = vec![("sqlite", conn)];
    if let Some(pg) = &postgres {
        backends.push(("postgres", pg.db.conn().unwrap()));
    }
    for (backend, mut conn) in backends {
        let stored = nianjian::db::write_transaction(&mut conn, |c| {
            insert_findings(
                c,
                &mut MessageIds::default(),
                std::slice::from_ref(&dangling),
            )
        });
        let err = stored.expect_err(backend);
        assert!(
            err.to_string().to_lowercase().contains("foreign key"),
            "{backend}: {err}"
        );
        let count: i64 = nianjian::db::schema::findings::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(count, 0, "{backend}: the failed transaction left rows");
    }
}

#[test]
fn both_migration_sets_give_the_same_schema() {
    let sqlite = TestDb::sqlite();
    let lite = sqlite_schema(&mut sqlite.db.conn().unwrap());
    assert!(
        lite.columns.len() >= 17,
        "tables: {:?}",
        lite.columns.keys()
    );
    assert!(!lite.checks.is_empty() && !lite.foreign_keys.is_empty() && !lite.indexes.is_empty());
    let Some(pg) = TestDb::postgres() else {
        return;
    };
    let postgres = postgres_schema(&mut pg.db.conn().unwrap());
    assert_eq!(lite.columns, postgres.columns, "columns differ");
    assert_eq!(
        lite.foreign_keys, postgres.foreign_keys,
        "foreign keys differ"
    );
    assert_eq!(lite.uniques, postgres.uniques, "unique keys differ");
    assert_eq!(lite.indexes, postgres.indexes, "indexes differ");
    assert_eq!(lite.checks, postgres.checks, "CHECK constraints differ");
}
