//! Test databases: a fresh SQLite file per test always, and a fresh PostgreSQL database per test
//! when `NIANJIAN_TEST_DATABASE_URL` names a server. Under `CI=true` a missing PostgreSQL is a
//! failure, never a skip.
#![allow(dead_code)]

pub mod seed;

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use nianjian::db::{DatabaseUrl, Db};

pub struct TestDb {
    pub db: Db,
    pub url: DatabaseUrl,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
        let db = Db::open(&url).expect("open sqlite");
        TestDb {
            db,
            url,
            backend: "sqlite",
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with one loud line) when none is configured.
    pub fn postgres() -> Option<TestDb> {
        let admin_url = postgres_admin_url()?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nianjian_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        let mut admin = diesel::PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("NIANJIAN_TEST_DATABASE_URL does not answer: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let url_text = replace_db_name(&admin_url, &name);
        let url = DatabaseUrl::parse(&url_text).expect("postgres url");
        let db = Db::open(&url).expect("open postgres");
        Some(TestDb {
            db,
            url,
            backend: "postgres",
            _dir: None,
            pg_drop: Some((admin_url, name)),
        })
    }

    /// SQLite always, PostgreSQL when available: the backends every storage test runs on.
    pub fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        v.extend(TestDb::postgres());
        v
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take()
            && let Ok(mut admin) = diesel::PgConnection::establish(&admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:x}")
}

/// The server's URL from `NIANJIAN_TEST_DATABASE_URL`. Outside CI its absence is a visible skip;
/// under `CI=true` it is a failure.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("NIANJIAN_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!(
                    "CI=true but NIANJIAN_TEST_DATABASE_URL is not set: the PostgreSQL tests must run under CI"
                );
            }
            // Written to the real stderr, past the test harness's capture, once per test binary.
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "SKIPPED (PostgreSQL): NIANJIAN_TEST_DATABASE_URL is not set, so the storage tests of this binary ran on SQLite only. \
                     Set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them on PostgreSQL too."
                );
            });
            None
        }
    }
}

/// Swaps the database name of a PostgreSQL URL.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}
