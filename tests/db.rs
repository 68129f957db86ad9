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
            submissions::content.eq(vec![1u8, 2, 3]),
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
    // A 16 MiB page cache for reading; an import raises it to 64 MiB for its transaction and
    // gives the pooled connection back with 16 MiB again.
    let cache = |conn: &mut DbConnection| get(conn, "SELECT cache_size FROM pragma_cache_size");
    assert_eq!(cache(&mut conn), "-16384");
    let seeded = common::seed::province(&mut conn);
    let drafts = vec![common::seed::inspection(
        "道路运输证年审",
        Some(12),
        vec![],
        nianjian::domain::Disposition::Cancel,
    )];
    common::seed::submit(
        &mut conn,
        seeded.round,
        seeded.departments[0],
        "a.xlsx",
        b"a",
        &drafts,
    );
    assert_eq!(cache(&mut conn), "-16384");
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
        // A foreign key to nothing.
        let orphan = insert_item(
            &mut conn,
            (ids.0, 9999, ids.2, ids.3),
            "孤儿事项",
            "inspection",
        );
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
