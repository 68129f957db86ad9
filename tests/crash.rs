//! Crash safety of an import (issue #11): `nianjian import` of a 100,000-row workbook is killed
//! with SIGKILL while its transaction is open, on SQLite and on PostgreSQL. Afterwards the
//! database holds exactly what it held before, `nianjian audit verify` passes, and running the
//! same import again stores it.
//!
//! When to kill is observed, never guessed: the command says on stderr that it starts storing,
//! and then the test waits until the database shows the transaction (SQLite: its write lock is
//! taken, a probe's `BEGIN IMMEDIATE` is refused; PostgreSQL: the import's backend holds a
//! transaction id and is running an INSERT, i.e. rows are being written).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::seed;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use nianjian::db::schema::{audit_log, findings, items, legal_bases, submissions};
use nianjian::db::{DatabaseUrl, DbConnection};

const ROWS: usize = 100_000;

/// The big workbook, generated once per build into Cargo's temporary folder for tests and
/// reused by later runs.
fn big_workbook() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("crash_{ROWS}.xlsx"));
        if !path.exists() {
            let bytes = common::workbook::workbook_bytes(ROWS, 0);
            let partial = path.with_extension(format!("partial-{}", std::process::id()));
            std::fs::write(&partial, bytes).unwrap();
            std::fs::rename(&partial, &path).unwrap();
        }
        path
    })
}

fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn import(dir: &Path, url: &str, file: &Path, round: i64) -> Command {
    let mut cmd = common::server::nianjian(dir, url);
    cmd.args(["import", file.to_str().unwrap(), "--department", "SD-JT"])
        .args(["--round", &round.to_string()])
        // Debug builds parse slowly; the limits are not what this test is about.
        .env("NIANJIAN_IMPORT_TIMEOUT_SECS", "900");
    cmd
}

/// Everything an import writes, as one comparable value.
#[derive(Debug, PartialEq, Eq)]
struct State {
    submissions: i64,
    items: i64,
    legal_bases: i64,
    findings: i64,
    audit: Vec<String>,
}

fn state(conn: &mut DbConnection) -> State {
    State {
        submissions: submissions::table.count().get_result(conn).unwrap(),
        items: items::table.count().get_result(conn).unwrap(),
        legal_bases: legal_bases::table.count().get_result(conn).unwrap(),
        findings: findings::table.count().get_result(conn).unwrap(),
        audit: audit_log::table
            .select(audit_log::hash)
            .order(audit_log::id)
            .load(conn)
            .unwrap(),
    }
}

/// Whether the import's transaction is open, as the database shows it.
fn transaction_open(url: &DatabaseUrl) -> bool {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut probe = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            probe.batch_execute("PRAGMA busy_timeout = 0").unwrap();
            match probe.batch_execute("BEGIN IMMEDIATE") {
                Ok(()) => {
                    probe.batch_execute("ROLLBACK").unwrap();
                    false
                }
                Err(e) => {
                    assert!(e.to_string().contains("locked"), "{e}");
                    true
                }
            }
        }
        DatabaseUrl::Postgres(u) => {
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut probe = diesel::PgConnection::establish(u).unwrap();
            let rows: Vec<Count> = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND backend_xid IS NOT NULL AND query ILIKE 'INSERT INTO%'",
            )
            .load(&mut probe)
            .unwrap();
            rows[0].n > 0
        }
    }
}

/// Waits for `what` while the child runs; a child that ends first fails the test.
fn wait_for(child: &mut Child, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(900);
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before {what}");
        }
        assert!(Instant::now() < deadline, "no {what} in 900 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn killed_mid_commit_leaves_the_previous_state(test_db: common::TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&test_db.url);
    let round = seed::province(&mut test_db.db.conn().unwrap()).round;

    // The previous state: an earlier, smaller file of the same department stored.
    let earlier = dir.path().join("年检事项_早先.xlsx");
    std::fs::write(&earlier, common::workbook::workbook_bytes(500, 0)).unwrap();
    let out = import(dir.path(), &url, &earlier, round).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = state(&mut test_db.db.conn().unwrap());
    assert_eq!(before.submissions, 1);

    let big = big_workbook();
    let mut child = import(dir.path(), &url, big, round)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut said = Vec::new();
    wait_for(&mut child, "the “storing” line", || {
        said.extend(rx.try_iter());
        said.iter().any(|l| l.contains("正在读取并保存"))
    });
    wait_for(&mut child, "the import's transaction", || {
        transaction_open(&test_db.url)
    });
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "{}: killed, not finished",
        test_db.backend
    );

    // Exactly the previous state, an intact chain and (SQLite) an intact file.
    assert_eq!(
        state(&mut test_db.db.conn().unwrap()),
        before,
        "{}",
        test_db.backend
    );
    let out = common::server::cli(dir.path(), &url, &["audit", "verify"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit chain intact"));
    if let DatabaseUrl::Sqlite(path) = &test_db.url {
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut c = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut c)
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].integrity_check, "ok");
    }

    // The same import again goes through.
    let out = import(dir.path(), &url, big, round).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        test_db.backend,
        String::from_utf8_lossy(&out.stderr)
    );
    let after = state(&mut test_db.db.conn().unwrap());
    assert_eq!(after.submissions, 2);
    // The earlier file's 500 items are restated by the big one (same names), not doubled.
    assert_eq!(after.items, ROWS as i64, "{}", test_db.backend);
    assert_eq!(after.audit.len(), before.audit.len() + 1);
    common::server::cli(dir.path(), &url, &["audit", "verify"]);
}

#[test]
fn an_import_killed_mid_commit_on_sqlite_leaves_the_previous_state() {
    killed_mid_commit_leaves_the_previous_state(common::TestDb::sqlite());
}

#[test]
fn an_import_killed_mid_commit_on_postgresql_leaves_the_previous_state() {
    if let Some(test_db) = common::TestDb::postgres() {
        killed_mid_commit_leaves_the_previous_state(test_db);
    }
}
