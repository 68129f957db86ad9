//! The data layer on every backend: migrations, pragmas, constraints, transactions, audit chain.

mod common;

use common::TestDb;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use nianjian::db::schema::{audit_log, departments, items, regions, rounds, submissions};
use nianjian::db::{DbConnection, audit, now, write_transaction};

/// A region, a department, a round and a submission to hang items on.
fn seed(conn: &mut DbConnection) -> (i64, i64, i64, i64) {
    let t = now();
    let region: i64 = diesel::insert_into(regions::table)
        .values((
            regions::code.eq("370000"),
            regions::name.eq("山东省"),
            regions::level.eq("province"),
            regions::created_at.eq(t),
        ))
        .returning(regions::id)
        .get_result(conn)
        .expect("region");
    let department: i64 = diesel::insert_into(departments::table)
        .values((
            departments::region_id.eq(region),
            departments::code.eq("JT"),
            departments::name.eq("山东省交通运输厅"),
            departments::created_at.eq(t),
        ))
        .returning(departments::id)
        .get_result(conn)
        .expect("department");
    let round: i64 = diesel::insert_into(rounds::table)
        .values((
            rounds::region_id.eq(region),
            rounds::name.eq("2026年清理"),
            rounds::created_at.eq(t),
        ))
        .returning(rounds::id)
        .get_result(conn)
        .expect("round");
    let submission: i64 = diesel::insert_into(submissions::table)
        .values((
            submissions::round_id.eq(round),
            submissions::department_id.eq(department),
            submissions::file_name.eq("交通运输厅.xlsx"),
            submissions::format.eq("xlsx"),
            submissions::sha256.eq("a".repeat(64)),
            submissions::size_bytes.eq(10i64),
            submissions::report.eq("{}"),
            submissions::item_count.eq(0i64),
            submissions::error_count.eq(0i64),
            submissions::uploaded_at.eq(t),
        ))
        .returning(submissions::id)
        .get_result(conn)
        .expect("submission");
    (region, department, round, submission)
}

fn insert_item(
    conn: &mut DbConnection,
    ids: (i64, i64, i64, i64),
    name: &str,
    kind: &str,
) -> QueryResult<i64> {
    let t = now();
    diesel::insert_into(items::table)
        .values((
            items::round_id.eq(ids.2),
            items::department_id.eq(ids.1),
            items::submission_id.eq(ids.3),
            items::identity_key.eq(name),
            items::kind.eq(kind),
            items::name.eq(name),
            items::self_set.eq(false),
            items::sheet.eq("年检事项"),
            items::row_number.eq(4i64),
            items::state.eq("submitted"),
            items::withdrawn.eq(false),
            items::created_at.eq(t),
            items::updated_at.eq(t),
        ))
        .returning(items::id)
        .get_result(conn)
}

#[test]
fn sqlite_pragmas_hold_on_pooled_connections() {
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let t = TestDb::sqlite();
    let mut conn = t.db.conn().unwrap();
    let get = |conn: &mut DbConnection, pragma: &str| -> String {
        diesel::sql_query(format!("SELECT CAST(({pragma}) AS TEXT) AS v"))
            .get_result::<Value>(conn)
            .unwrap()
            .v
    };
    assert_eq!(
        get(&mut conn, "SELECT journal_mode FROM pragma_journal_mode"),
        "wal"
    );
    assert_eq!(
        get(&mut conn, "SELECT synchronous FROM pragma_synchronous"),
        "2",
        "synchronous=FULL"
    );
    assert_eq!(
        get(&mut conn, "SELECT foreign_keys FROM pragma_foreign_keys"),
        "1"
    );
    assert_eq!(
        get(&mut conn, "SELECT timeout FROM pragma_busy_timeout"),
        "15000"
    );
    // A new file gets 16 KiB pages; a file made before keeps its own size (the pragma is a
    // no-op once a file has pages) and migrates as ever.
    assert_eq!(
        get(&mut conn, "SELECT page_size FROM pragma_page_size"),
        "16384"
    );
    let dir = tempfile::tempdir().unwrap();
    let older = dir.path().join("older.db");
    diesel::SqliteConnection::establish(&older.to_string_lossy())
        .unwrap()
        .batch_execute("CREATE TABLE before_us (x INTEGER)")
        .unwrap();
    let url = nianjian::db::DatabaseUrl::Sqlite(older);
    let db = nianjian::db::Db::open(&url).expect("an older file migrates");
    assert_eq!(
        get(
            &mut db.conn().unwrap(),
            "SELECT page_size FROM pragma_page_size"
        ),
        "4096"
    );
    // A 16 MiB page cache for reading; an import raises it to 64 MiB for its transaction and
    // gives the pooled connection back with 16 MiB again.
    let cache = |conn: &mut DbConnection| get(conn, "SELECT cache_size FROM pragma_cache_size");
    assert_eq!(cache(&mut conn), "-16384");
    let seeded = common::seed::province(&mut conn);
    submit_one(&mut conn, &seeded, 0, "a.xlsx", b"a", "道路运输证年审");
    assert_eq!(cache(&mut conn), "-16384");
}

/// A department's file of one inspection, stored as an import stores it.
fn submit_one(
    conn: &mut DbConnection,
    seeded: &common::seed::Seeded,
    department: usize,
    file_name: &str,
    bytes: &[u8],
    name: &str,
) {
    let drafts = vec![common::seed::inspection(
        name,
        Some(12),
        vec![],
        nianjian::domain::Disposition::Cancel,
    )];
    common::seed::submit(
        conn,
        seeded.round,
        seeded.departments[department],
        file_name,
        bytes,
        &drafts,
    );
}

#[test]
fn an_import_commits_without_copying_its_log_and_the_checkpoint_after_it_does() {
    let t = TestDb::sqlite();
    let nianjian::db::DatabaseUrl::Sqlite(path) = &t.url else {
        unreachable!()
    };
    let size = || std::fs::metadata(path).unwrap().len();
    let mut conn = t.db.conn().unwrap();
    let seeded = common::seed::province(&mut conn);
    nianjian::db::backend::checkpoint(&mut conn);
    let before = size();
    // 24 MiB of workbook: some 1,500 pages of log, past the 1,000 at which a commit would copy
    // them into the file itself.
    let bytes = vec![7u8; 24 << 20];
    submit_one(&mut conn, &seeded, 0, "big.xlsx", &bytes, "道路运输证年审");
    assert!(
        size() < before + (4 << 20),
        "the commit copied its log into the file: {} → {} bytes",
        before,
        size()
    );
    // Committed all the same: another connection reads it.
    let mut other = t.db.conn().unwrap();
    let stored: i64 = nianjian::db::schema::submissions::table
        .count()
        .get_result(&mut other)
        .unwrap();
    assert_eq!(stored, 1);
    drop(other);
    nianjian::db::backend::checkpoint(&mut conn);
    assert!(
        size() >= before + (20 << 20),
        "the checkpoint left the log uncopied: {} → {} bytes",
        before,
        size()
    );
    // The pooled connection has SQLite's own automatic checkpoint back for its later commits.
    #[derive(QueryableByName)]
    struct Pages {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        wal_autocheckpoint: i64,
    }
    let pages = diesel::sql_query("PRAGMA wal_autocheckpoint")
        .get_result::<Pages>(&mut conn)
        .unwrap()
        .wal_autocheckpoint;
    assert_eq!(pages, nianjian::db::backend::SQLITE_AUTOCHECKPOINT_PAGES);
}

#[test]
fn constraints_refuse_what_the_contracts_do_not_allow() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let ids = seed(&mut conn);
        assert!(
            insert_item(&mut conn, ids, "特种设备定期检验", "inspection").is_ok(),
            "{}",
            t.backend
        );
        assert!(
            insert_item(&mut conn, ids, "未知种类", "bogus").is_err(),
            "{}: a kind outside CONTRACTS must be refused",
            t.backend
        );
        assert!(
            insert_item(&mut conn, ids, "特种设备定期检验", "inspection").is_err(),
            "{}: the same item identity twice in one round and department must be refused",
            t.backend
        );
        // A foreign key to nothing. On SQLite the references of items are checked at the
        // commit (migration 2026-11-28-000100), which is where the refusal surfaces; an
        // INSERT … RETURNING on its own would hand diesel its row before the statement's own
        // commit fails, so the item is written as all item writes are: in a transaction.
        let orphan = write_transaction(&mut conn, |c| {
            insert_item(c, (ids.0, 9999, ids.2, ids.3), "孤儿事项", "inspection")
        });
        assert!(
            orphan.is_err(),
            "{}: foreign keys must be enforced",
            t.backend
        );
        let n: i64 = items::table.count().get_result(&mut conn).unwrap();
        assert_eq!(n, 1, "{}", t.backend);
    }
}

#[test]
fn write_transactions_are_all_or_nothing() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let ids = seed(&mut conn);
        let result: Result<(), diesel::result::Error> = write_transaction(&mut conn, |c| {
            insert_item(c, ids, "第一项", "inspection")?;
            insert_item(c, ids, "第二项", "training")?;
            insert_item(c, ids, "第三项", "bogus")?; // fails: the whole batch must go
            Ok(())
        });
        assert!(result.is_err(), "{}", t.backend);
        let n: i64 = items::table.count().get_result(&mut conn).unwrap();
        assert_eq!(
            n, 0,
            "{}: nothing of a failed transaction may remain",
            t.backend
        );

        let ok: Result<(), diesel::result::Error> = write_transaction(&mut conn, |c| {
            insert_item(c, ids, "第一项", "inspection")?;
            insert_item(c, ids, "第二项", "training")?;
            Ok(())
        });
        assert!(ok.is_ok(), "{}", t.backend);
        let n: i64 = items::table.count().get_result(&mut conn).unwrap();
        assert_eq!(n, 2, "{}", t.backend);
        // The connection is usable after both outcomes.
        conn.batch_execute("SELECT 1").unwrap();
    }
}

#[test]
fn audit_chain_verifies_and_names_the_first_altered_entry() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let actor = audit::Actor::cli();
        for i in 0..5 {
            write_transaction(&mut conn, |c| {
                audit::record(
                    c,
                    &actor,
                    audit::Change {
                        action: "test.create",
                        entity: "thing",
                        entity_id: Some(i.to_string()),
                        before: None,
                        after: Some(serde_json::json!({"n": i, "名称": "检验"})),
                    },
                )
            })
            .unwrap();
        }
        assert_eq!(
            audit::verify(&mut conn).unwrap(),
            audit::Verdict::Intact { entries: 5 },
            "{}",
            t.backend
        );

        // The log refuses changes through the database itself.
        let refused = diesel::update(audit_log::table.filter(audit_log::id.eq(3)))
            .set(audit_log::after_json.eq("{}"))
            .execute(&mut conn);
        assert!(
            refused.is_err(),
            "{}: audit_log must be append-only",
            t.backend
        );

        // Someone with enough rights disables the guard and alters entry 3.
        match t.backend {
            "sqlite" => conn
                .batch_execute("DROP TRIGGER audit_log_no_update")
                .unwrap(),
            _ => conn
                .batch_execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .unwrap(),
        }
        let third: i64 = audit_log::table
            .select(audit_log::id)
            .order(audit_log::id.asc())
            .offset(2)
            .first(&mut conn)
            .unwrap();
        diesel::update(audit_log::table.filter(audit_log::id.eq(third)))
            .set(audit_log::after_json.eq(r#"{"n":99}"#))
            .execute(&mut conn)
            .unwrap();
        match audit::verify(&mut conn).unwrap() {
            audit::Verdict::Broken {
                first_broken_id,
                entries_checked,
                ..
            } => {
                assert_eq!(first_broken_id, third, "{}", t.backend);
                assert_eq!(entries_checked, 2, "{}", t.backend);
            }
            other => panic!("{}: tampering not caught: {other:?}", t.backend),
        }
    }
}

#[test]
fn ids_are_64_bit_on_every_backend() {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let ids = seed(&mut conn);
        let big = 5_000_000_000i64;
        diesel::sql_query(format!(
            "INSERT INTO items (id, round_id, department_id, submission_id, identity_key, kind, name, self_set, sheet, row_number, state, withdrawn, created_at, updated_at) \
             SELECT {big}, round_id, department_id, id, 'k', 'inspection', 'n', false, 's', 1, 'submitted', false, uploaded_at, uploaded_at FROM submissions WHERE id = {}",
            ids.3
        ))
        .execute(&mut conn)
        .unwrap();
        let got = diesel::sql_query("SELECT id FROM items")
            .get_result::<Id>(&mut conn)
            .unwrap();
        assert_eq!(got.id, big, "{}", t.backend);
    }
}

/// Rows written by the import's bulk path (one prepared statement per table on SQLite) read back
/// exactly as the same rows written by diesel: NULLs, booleans, doubles, timestamps with
/// fractions of a second. A constraint the bulk path breaks is an error, and the transaction
/// leaves nothing behind.
#[test]
fn bulk_inserts_store_what_diesel_would() {
    use nianjian::db::items::{
        self as item_rows, FindingRow, ItemRow, LegalBasisRow, MessageIds, NewFinding, NewItem,
        NewLegalBasis, StoredFinding,
    };
    use nianjian::db::schema::{finding_messages, findings, legal_bases};
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_micro_opt(8, 9, 10, 123_456))
        .expect("time");
    for t in TestDb::all() {
        let mut conn = t.db.conn().expect("conn");
        let ids = seed(&mut conn);
        let item = |key: &str, full: bool| NewItem {
            round_id: ids.2,
            department_id: ids.1,
            submission_id: ids.3,
            identity_key: key.into(),
            kind: "inspection".into(),
            name: "道路运输经营许可证年审".into(),
            licence: full.then(|| "道路运输经营许可证".into()),
            licence_code: None,
            target: full.then(|| "经营者 'a' \"b\"".into()),
            cycle_months: full.then_some(12),
            cycle_text: full.then(|| "每年一次".into()),
            annual_report: full.then_some(true),
            self_set: full,
            proposed: full.then(|| "extend_cycle".into()),
            proposed_cycle_months: full.then_some(24),
            reason: None,
            remarks: full.then(String::new),
            tied_to: None,
            hours: full.then_some(16.5),
            fee: None,
            fee_basis: None,
            provider: None,
            provider_designated: full.then_some(false),
            sheet: "年检事项".into(),
            row_number: 4,
            state: "submitted".into(),
            withdrawn: false,
            created_at: at,
            updated_at: at,
            open_severities: 3,
        };
        let bulk = [item("bulk-full", true), item("bulk-bare", false)];
        let by_diesel = [item("diesel-full", true), item("diesel-bare", false)];
        let new_ids = write_transaction(&mut conn, |c| item_rows::insert_items(c, &bulk))
            .expect("bulk items");
        let diesel_ids: Vec<i64> = by_diesel
            .iter()
            .map(|row| {
                diesel::insert_into(items::table)
                    .values(row)
                    .returning(items::id)
                    .get_result(&mut conn)
                    .expect("diesel item")
            })
            .collect();
        let load = |conn: &mut DbConnection, key: &str| -> ItemRow {
            let mut row: ItemRow = items::table
                .filter(items::identity_key.eq(key))
                .select(ItemRow::as_select())
                .first(conn)
                .expect("item");
            row.identity_key.clear();
            row
        };
        let mut bulk_ids = Vec::new();
        for (b, d) in [("bulk-full", "diesel-full"), ("bulk-bare", "diesel-bare")] {
            let (mut x, mut y) = (load(&mut conn, b), load(&mut conn, d));
            bulk_ids.push(x.id);
            (x.id, y.id) = (0, 0);
            assert_eq!(format!("{x:?}"), format!("{y:?}"), "{}", t.backend);
        }
        assert_eq!(new_ids, bulk_ids, "{}: ids in order", t.backend);

        let basis = |item_id: i64, level: Option<&str>| NewLegalBasis {
            item_id,
            position: 0,
            level: level.map(Into::into),
            level_inferred: level.is_none(),
            title: "《道路运输条例》".into(),
            title_key: "道路运输条例".into(),
            article: level.map(|_| "第六十七条".into()),
            issuer: None,
            document_id: None,
        };
        let finding = |item_id: i64, code: &str| NewFinding {
            item_id,
            code: code.into(),
            severity: "warning".into(),
            message_zh: "每年一次的年检应延长周期".into(),
            message_en: "Lengthen the cycle".into(),
            resolved: true,
            computed_at: at,
        };
        write_transaction(&mut conn, |c| {
            item_rows::insert_bases(
                c,
                &[
                    basis(bulk_ids[0], Some("admin_regulation")),
                    basis(bulk_ids[1], None),
                ],
            )?;
            item_rows::insert_findings(
                c,
                &mut MessageIds::default(),
                &[finding(bulk_ids[0], "R03")],
            )
        })
        .expect("bulk bases and findings");
        for row in [
            basis(diesel_ids[0], Some("admin_regulation")),
            basis(diesel_ids[1], None),
        ] {
            diesel::insert_into(legal_bases::table)
                .values(&row)
                .execute(&mut conn)
                .expect("diesel basis");
        }
        let f = finding(diesel_ids[0], "R03");
        let message_id = MessageIds::default()
            .id(&mut conn, &f.message_zh, &f.message_en)
            .expect("message");
        diesel::insert_into(findings::table)
            .values(&StoredFinding {
                item_id: f.item_id,
                code: &f.code,
                severity: &f.severity,
                resolved: f.resolved,
                computed_at: f.computed_at,
                message_id,
            })
            .execute(&mut conn)
            .expect("diesel finding");
        for (b, d) in bulk_ids.iter().zip(&diesel_ids) {
            let bases = |conn: &mut DbConnection, id: i64| {
                let mut row: LegalBasisRow = legal_bases::table
                    .filter(legal_bases::item_id.eq(id))
                    .select(LegalBasisRow::as_select())
                    .first(conn)
                    .expect("basis");
                (row.id, row.item_id) = (0, 0);
                format!("{row:?}")
            };
            assert_eq!(bases(&mut conn, *b), bases(&mut conn, *d), "{}", t.backend);
        }
        let finding_of = |conn: &mut DbConnection, id: i64| {
            let mut row: FindingRow = findings::table
                .inner_join(finding_messages::table)
                .filter(findings::item_id.eq(id))
                .select(FindingRow::as_select())
                .first(conn)
                .expect("finding");
            (row.id, row.item_id) = (0, 0);
            format!("{row:?}")
        };
        assert_eq!(
            finding_of(&mut conn, bulk_ids[0]),
            finding_of(&mut conn, diesel_ids[0]),
            "{}",
            t.backend
        );

        // A code the schema refuses: an error naming the constraint, nothing of the batch kept.
        let before: i64 = findings::table
            .count()
            .get_result(&mut conn)
            .expect("count");
        let err = write_transaction(&mut conn, |c| {
            item_rows::insert_findings(
                c,
                &mut MessageIds::default(),
                &[finding(bulk_ids[1], "R10"), finding(bulk_ids[1], "R99")],
            )
        })
        .expect_err("R99 is not a rule");
        assert!(
            err.to_string().to_lowercase().contains("check"),
            "{}: {err}",
            t.backend
        );
        let after: i64 = findings::table
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(before, after, "{}", t.backend);
    }
}

/// Finding messages are stored once each: whatever order they are asked for in (more distinct
/// messages than `MessageIds` compares before hashing, interleaved), the same words give the
/// same id, different words different ids, and every id holds the words it was given; a second
/// piece of work finds them again in the table.
#[test]
fn finding_messages_are_stored_once_and_found_again() {
    use nianjian::db::items::{MessageIds, message_digest};
    use nianjian::db::schema::finding_messages;
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let text = |n: usize| (format!("第{n}条意见"), format!("Opinion {n}"));
        // Short cycles (found among the recent ones, at every place) mixed with long ones.
        let order: Vec<usize> = (0..300)
            .map(|i| match i % 3 {
                0 => (i / 3) % 3,
                1 => 3 + (i * 7) % 17,
                _ => (i / 3) % 5,
            })
            .collect();
        let first: Vec<i64> = write_transaction(&mut conn, |c| {
            let mut ids = MessageIds::default();
            order
                .iter()
                .map(|&n| {
                    let (zh, en) = text(n);
                    ids.id(c, &zh, &en)
                })
                .collect::<QueryResult<Vec<i64>>>()
        })
        .unwrap();
        let mut by_text = std::collections::HashMap::new();
        for (&n, &id) in order.iter().zip(&first) {
            assert_eq!(
                *by_text.entry(n).or_insert(id),
                id,
                "{}: message {n}",
                t.backend
            );
        }
        let distinct: std::collections::HashSet<i64> = by_text.values().copied().collect();
        assert_eq!(distinct.len(), 20, "{}", t.backend);
        let stored: Vec<(i64, Option<String>, String, String)> = finding_messages::table
            .select((
                finding_messages::id,
                finding_messages::digest,
                finding_messages::message_zh,
                finding_messages::message_en,
            ))
            .load(&mut conn)
            .unwrap();
        assert_eq!(stored.len(), 20, "{}", t.backend);
        for (id, digest, zh, en) in &stored {
            let n = by_text
                .iter()
                .find(|(_, v)| *v == id)
                .map(|(n, _)| *n)
                .unwrap();
            assert_eq!((zh.clone(), en.clone()), text(n), "{}", t.backend);
            assert_eq!(digest.as_deref(), Some(message_digest(zh, en).as_str()));
        }
        // Another piece of work, with its own cache, finds the same rows.
        let again = write_transaction(&mut conn, |c| {
            let (zh, en) = text(13);
            MessageIds::default().id(c, &zh, &en)
        })
        .unwrap();
        assert_eq!(again, by_text[&13], "{}", t.backend);
        let count: i64 = finding_messages::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(count, 20, "{}", t.backend);
    }
}

#[test]
fn workbooks_are_stored_apart_and_the_migration_carries_them_over() {
    #[derive(QueryableByName)]
    struct Inline {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Binary)]
        content: Vec<u8>,
    }
    use nianjian::db::schema::{submission_files, submissions};
    use nianjian::db::submissions::workbook;
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = common::seed::province(&mut conn);
        let (first, second) = (b"PK\x03\x04 first workbook".to_vec(), vec![0u8, 255, 7, 0]);
        submit_one(&mut conn, &s, 0, "a.xlsx", &first, "甲");
        submit_one(&mut conn, &s, 1, "b.xlsx", &second, "乙");
        let ids: Vec<i64> = submissions::table
            .order(submissions::id)
            .select(submissions::id)
            .load(&mut conn)
            .unwrap();
        let stored = |conn: &mut DbConnection| -> Vec<Vec<u8>> {
            ids.iter()
                .map(|&id| workbook(conn, id).unwrap().expect("stored"))
                .collect()
        };
        let expected = vec![first.clone(), second.clone()];
        assert_eq!(stored(&mut conn), expected, "{}", t.backend);
        let files: i64 = submission_files::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(files, 2, "{}", t.backend);

        // Back into the submissions' rows, and out again: every workbook keeps its bytes.
        let (down, up) = match t.backend {
            "sqlite" => (
                include_str!("../migrations/sqlite/2026-11-28-000500_submission_files/down.sql"),
                include_str!("../migrations/sqlite/2026-11-28-000500_submission_files/up.sql"),
            ),
            _ => (
                include_str!("../migrations/postgres/2026-11-28-000500_submission_files/down.sql"),
                include_str!("../migrations/postgres/2026-11-28-000500_submission_files/up.sql"),
            ),
        };
        conn.batch_execute(down).unwrap();
        let inline: Vec<Vec<u8>> =
            diesel::sql_query("SELECT id, content FROM submissions ORDER BY id")
                .load::<Inline>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|r| {
                    assert!(ids.contains(&r.id));
                    r.content
                })
                .collect();
        assert_eq!(inline, expected, "{}: down", t.backend);
        conn.batch_execute(up).unwrap();
        assert_eq!(stored(&mut conn), expected, "{}: up", t.backend);
    }
}
