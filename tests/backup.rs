//! `nianjian backup` and `nianjian restore` as an operator runs them: a backup taken while a
//! writer keeps importing is the database as of one commit (never a torn state), restores into a
//! fresh place and passes `nianjian audit verify`; a restore refuses a file that is not a
//! database, a truncated backup and a database a server holds open, changing nothing.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::seed;
use diesel::prelude::*;
use nianjian::db::schema::{audit_log, items, submissions};
use nianjian::db::{DatabaseUrl, Db, DbConnection};
use nianjian::domain::{BasisLevel, Disposition};

fn nianjian(dir: &Path, database: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianjian"));
    cmd.current_dir(dir)
        .env_remove("NIANJIAN_CONFIG")
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("NIANJIAN_LOG", "error");
    cmd
}

fn run(dir: &Path, database: &Path, args: &[&str]) -> Output {
    nianjian(dir, database)
        .args(args)
        .output()
        .expect("run nianjian")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What the writer changes, as one comparable value: the counts and the audit chain's head
/// (which names every entry before it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    submissions: i64,
    items: i64,
    audit_head: Option<String>,
}

fn state(conn: &mut DbConnection) -> State {
    State {
        submissions: submissions::table.count().get_result(conn).unwrap(),
        items: items::table.count().get_result(conn).unwrap(),
        audit_head: audit_log::table
            .select(audit_log::hash)
            .order(audit_log::id.desc())
            .first(conn)
            .optional()
            .unwrap(),
    }
}

fn state_of(path: &Path) -> State {
    let mut conn =
        DbConnection::Sqlite(SqliteConnection::establish(&path.to_string_lossy()).unwrap());
    state(&mut conn)
}

fn integrity(path: &Path) -> String {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    rows.into_iter()
        .map(|r| r.integrity_check)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `n`-th statement of a department: each commit adds items and restates the others, so
/// every commit leaves a different state.
fn drafts(n: usize) -> Vec<nianjian::domain::ItemDraft> {
    (0..40 + n)
        .map(|i| {
            seed::inspection(
                &format!("道路运输证年度审验（第{i}项）"),
                Some(12 + (n % 3) as u32 * 12),
                vec![seed::basis(
                    BasisLevel::AdminRegulation,
                    "中华人民共和国道路运输条例",
                    Some("第六十七条"),
                )],
                Disposition::ExtendCycle,
            )
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_backup_taken_during_writes_restores_to_one_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("data/nianjian.db");
    let db = Db::open(&DatabaseUrl::Sqlite(live.clone())).unwrap();
    let seeded = seed::province(&mut db.conn().unwrap());

    // The writer imports one department's workbook after another until told to stop, and
    // records the state after each commit (it is the only writer, so what it reads right after
    // its commit is exactly the state that commit left).
    let states = Arc::new(Mutex::new(vec![state(&mut db.conn().unwrap())]));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, states, stop) = (db.clone(), states.clone(), stop.clone());
        let departments = seeded.departments.clone();
        std::thread::spawn(move || {
            let mut conn = db.conn().unwrap();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) || n < 3 {
                let department = departments[n % departments.len()];
                let bytes = format!("workbook {n}").into_bytes();
                seed::submit(
                    &mut conn,
                    seeded.round,
                    department,
                    "年检事项.xlsx",
                    &bytes,
                    &drafts(n),
                );
                states.lock().unwrap().push(state(&mut conn));
                n += 1;
            }
            n
        })
    };

    // Wait for the writer to be under way (its first commit recorded), then back up while it
    // goes on.
    while states.lock().unwrap().len() < 2 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut backups = Vec::new();
    for i in 0..4 {
        let out_file = dir.path().join(format!("backups/nianjian-{i}.db"));
        let out = run(
            dir.path(),
            &live,
            &["backup", "-o", out_file.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("已备份并校验"),
            "{}",
            text(&out)
        );
        backups.push(out_file);
    }
    stop.store(true, Ordering::SeqCst);
    let commits = writer.join().unwrap();
    assert!(commits >= 3);
    // No partial file is left beside the backups.
    assert_eq!(
        files_in(&dir.path().join("backups")),
        vec![
            "nianjian-0.db",
            "nianjian-1.db",
            "nianjian-2.db",
            "nianjian-3.db"
        ]
    );

    let passed: HashSet<State> = states.lock().unwrap().iter().cloned().collect();
    for (i, backup) in backups.iter().enumerate() {
        // Into a fresh place: the restored database is one of the states the writer left.
        let fresh = dir.path().join(format!("fresh-{i}/nianjian.db"));
        let out = run(dir.path(), &fresh, &["restore", backup.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("已恢复"));
        assert_eq!(integrity(&fresh), "ok");
        let restored = state_of(&fresh);
        assert!(
            passed.contains(&restored),
            "backup {i} holds {restored:?}, which no commit of the writer left"
        );
        assert!(
            restored.submissions >= 1,
            "the backup was taken after the first commit"
        );
        let out = run(dir.path(), &fresh, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        // The restored database serves: the migrations find nothing to do and it opens.
        let out = run(dir.path(), &fresh, &["migrate"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }

    // Restoring over the live database (no server running) keeps the replaced one aside.
    drop(db);
    let before = state_of(&live);
    let out = run(
        dir.path(),
        &live,
        &["restore", backups[0].to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(state_of(&live), state_of(&backups[0]));
    let kept: Vec<String> = files_in(&dir.path().join("data"))
        .into_iter()
        .filter(|n| n.starts_with("nianjian.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{:?}", files_in(&dir.path().join("data")));
    let kept = dir.path().join("data").join(&kept[0]);
    assert_eq!(state_of(&kept), before);
    assert_eq!(integrity(&kept), "ok");
    let out = run(dir.path(), &live, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A live database with a few commits, and a good backup of it.
fn live_and_backup(dir: &Path) -> (PathBuf, PathBuf) {
    let live = dir.join("data/nianjian.db");
    {
        let db = Db::open(&DatabaseUrl::Sqlite(live.clone())).unwrap();
        let mut conn = db.conn().unwrap();
        let seeded = seed::province(&mut conn);
        for n in 0..3 {
            seed::submit(
                &mut conn,
                seeded.round,
                seeded.departments[0],
                "年检事项.xlsx",
                format!("v{n}").as_bytes(),
                &drafts(n),
            );
        }
    }
    let backup = dir.join("good.db");
    let out = run(dir, &live, &["backup", "-o", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (live, backup)
}

fn fingerprint(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_in(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn a_restore_refuses_what_is_not_an_intact_database_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (live, backup) = live_and_backup(dir.path());
    let data = dir.path().join("data");
    let before = fingerprint(&data);

    let not_db = dir.path().join("年检事项.xlsx");
    std::fs::write(&not_db, b"PK\x03\x04 this is a workbook, not a database").unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let bytes = std::fs::read(&backup).unwrap();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    // An SQLite database that is not nianjian's.
    let foreign = dir.path().join("foreign.db");
    {
        let mut c = SqliteConnection::establish(&foreign.to_string_lossy()).unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut c)
            .unwrap();
    }

    for (file, says) in [
        (&not_db, "不是 SQLite 数据库文件"),
        (&empty, "不是 SQLite 数据库文件"),
        (&truncated, "已损坏或不完整"),
        (&foreign, "不是年检清理系统的数据库"),
    ] {
        let out = run(dir.path(), &live, &["restore", file.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {}",
            file.display(),
            text(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{}: {}", file.display(), text(&out));
        assert!(stderr.contains("nothing changed"), "{}", text(&out));
        assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
        assert!(
            fingerprint(&data) == before,
            "{} changed the data folder: {:?}",
            file.display(),
            files_in(&data)
        );
    }
    let out = run(dir.path(), &live, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_restore_refuses_while_a_server_holds_the_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let (live, backup) = live_and_backup(dir.path());
    // What a running server does: a pool with an idle connection on the file.
    let db = Db::open(&DatabaseUrl::Sqlite(live.clone())).unwrap();
    let before = state(&mut db.conn().unwrap());
    let data = dir.path().join("data");
    let files_before = files_in(&data);

    let out = run(dir.path(), &live, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("请先停止服务再恢复"),
        "{}",
        text(&out)
    );
    assert_eq!(state(&mut db.conn().unwrap()), before);
    assert_eq!(files_in(&data), files_before, "no copy left behind");
    // Stopped, the same restore goes through.
    drop(db);
    let out = run(dir.path(), &live, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_backup_of_postgresql_is_pg_dump_or_its_exact_command() {
    let Some(test_db) = common::TestDb::postgres() else {
        return;
    };
    let DatabaseUrl::Postgres(url) = &test_db.url else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nianjian.dump");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianjian"));
    cmd.current_dir(dir.path())
        .env_remove("NIANJIAN_CONFIG")
        .env("DATABASE_URL", url)
        .env("NIANJIAN_LOG", "error")
        .args(["backup", "-o", file.to_str().unwrap()]);
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("pg_dump").is_file()));
    let out = cmd.output().unwrap();
    if on_path {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let dump = std::fs::read(&file).unwrap();
        assert!(dump.starts_with(b"PGDMP"), "a custom-format dump");
        assert!(String::from_utf8_lossy(&out.stdout).contains("pg_restore"));
    } else {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump --format=custom"));
        assert!(!file.exists());
    }
    // Without pg_dump on PATH the command is printed, exactly.
    let out = cmd.env("PATH", dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("未找到 pg_dump"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "pg_dump --format=custom --no-owner --file '{}'",
            file.display()
        )),
        "{stderr}"
    );
}
