//! What the benches share: a generated department workbook in the template's layout, scratch
//! databases (SQLite always, PostgreSQL when it answers), a seeded province, and the process's
//! peak memory.
//!
//! Sizes come from the environment so a quick run stays quick:
//! - `NIANJIAN_BENCH_ROWS` — item rows of the big workbook (default 100000);
//! - `NIANJIAN_BENCH_XLSX` — keep the big workbook at this path (reused when it is there), e.g.
//!   for `nianjian import --dry-run` under `/usr/bin/time -v`;
//! - `NIANJIAN_BENCH_PG_URL` — the PostgreSQL server (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`); `none` skips PostgreSQL.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use nianjian::db::schema::{departments, regions, rounds};
use nianjian::db::{DatabaseUrl, Db, DbConnection, now};
use nianjian::domain::Lang;
use nianjian::sheets::{ImportReport, Limits};

/// Item rows of the big workbook.
pub fn rows() -> usize {
    std::env::var("NIANJIAN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(100_000)
}

/// The default limits, with room for the header row above `rows` items (the default cap is on
/// the highest sheet row, so 100,000 items under a header would be one row over it).
pub fn limits(rows: usize) -> Limits {
    let defaults = Limits::default();
    Limits {
        max_rows: defaults.max_rows.max(rows as u32 + 1),
        max_cells: defaults.max_cells.max(rows as u64 * 16),
        ..defaults
    }
}

#[path = "../../tests/common/workbook.rs"]
mod workbook;
pub use workbook::{DEPARTMENTS, workbook_bytes};

/// The big workbook (`rows` items) as a file: at `NIANJIAN_BENCH_XLSX` when set (kept, and
/// reused when it is already there with the same row count), else in a temporary folder.
pub fn workbook_file(rows: usize) -> PathBuf {
    static FILES: OnceLock<Mutex<HashMap<usize, PathBuf>>> = OnceLock::new();
    static TEMP: OnceLock<tempfile::TempDir> = OnceLock::new();
    let files = FILES.get_or_init(Default::default);
    let mut files = files.lock().expect("lock");
    if let Some(p) = files.get(&rows) {
        return p.clone();
    }
    let keep = std::env::var("NIANJIAN_BENCH_XLSX")
        .ok()
        .filter(|p| !p.trim().is_empty() && rows == self::rows())
        .map(PathBuf::from);
    let path = match keep {
        Some(p) => p,
        None => TEMP
            .get_or_init(|| tempfile::tempdir().expect("temp dir"))
            .path()
            .join(format!("年检事项_{rows}.xlsx")),
    };
    let marker = path.with_extension("rows");
    let reusable = path.exists()
        && std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == rows.to_string());
    if !reusable {
        let started = Instant::now();
        let bytes = workbook_bytes(rows, 0);
        std::fs::write(&path, &bytes).expect("write workbook");
        std::fs::write(&marker, rows.to_string()).expect("write marker");
        eprintln!(
            "# generated {} ({rows} rows, {:.1} MiB) in {:.1} s",
            path.display(),
            bytes.len() as f64 / (1024.0 * 1024.0),
            started.elapsed().as_secs_f64()
        );
    }
    files.insert(rows, path.clone());
    path
}

/// The bytes of the big workbook, read once.
pub fn workbook(rows: usize) -> &'static [u8] {
    static BYTES: OnceLock<Mutex<HashMap<usize, &'static [u8]>>> = OnceLock::new();
    let map = BYTES.get_or_init(Default::default);
    let mut map = map.lock().expect("lock");
    if let Some(b) = map.get(&rows) {
        return b;
    }
    let bytes: &'static [u8] = std::fs::read(workbook_file(rows))
        .expect("read workbook")
        .leak();
    map.insert(rows, bytes);
    bytes
}

/// The file name the reports carry.
pub fn file_name(rows: usize) -> String {
    format!("年检事项_{rows}.xlsx")
}

/// The read report of the big workbook, once; it must have no errors (else nothing commits).
pub fn report(rows: usize) -> &'static ImportReport {
    static REPORTS: OnceLock<Mutex<HashMap<usize, &'static ImportReport>>> = OnceLock::new();
    let map = REPORTS.get_or_init(Default::default);
    let mut map = map.lock().expect("lock");
    if let Some(r) = map.get(&rows) {
        return r;
    }
    let report = read(&file_name(rows), workbook(rows), rows);
    let report: &'static ImportReport = Box::leak(Box::new(report));
    map.insert(rows, report);
    report
}

/// Reads a generated workbook and checks that every row became an item without errors.
pub fn read(file_name: &str, bytes: &[u8], rows: usize) -> ImportReport {
    let report = nianjian::sheets::read_workbook(file_name, bytes, &limits(rows), Lang::Zh)
        .expect("the generated workbook reads");
    assert!(
        report.errors.is_empty(),
        "the generated workbook has errors: {:?}",
        &report.errors[..report.errors.len().min(3)]
    );
    assert_eq!(report.items.len(), rows);
    report
}

// ---------------------------------------------------------------------------------------------
// Databases.

/// A fresh database with the migrations applied; a PostgreSQL one is dropped with it.
pub struct ScratchDb {
    db: Option<Db>,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl ScratchDb {
    pub fn sqlite() -> ScratchDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&DatabaseUrl::Sqlite(dir.path().join("bench.db"))).expect("sqlite");
        ScratchDb {
            db: Some(db),
            backend: "sqlite",
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    /// `None` when no PostgreSQL server answers (said once on stderr).
    pub fn postgres() -> Option<ScratchDb> {
        let admin_url = pg_admin_url()?;
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "nianjian_bench_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let mut admin = diesel::PgConnection::establish(&admin_url).ok()?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create scratch database");
        let url = replace_db_name(&admin_url, &name);
        let db = Db::open(&DatabaseUrl::parse(&url).expect("url")).expect("open postgres");
        Some(ScratchDb {
            db: Some(db),
            backend: "postgres",
            _dir: None,
            pg_drop: Some((admin_url, name)),
        })
    }

    pub fn conn(&self) -> nianjian::db::Conn {
        self.db
            .as_ref()
            .expect("open until dropped")
            .conn()
            .expect("connection")
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        // The pool's connections go first, or the database is still in use.
        drop(self.db.take());
        if let Some((admin_url, name)) = self.pg_drop.take()
            && let Ok(mut admin) = diesel::PgConnection::establish(&admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The PostgreSQL server of the benches, if it answers.
pub fn pg_admin_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("NIANJIAN_BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        if url.trim() == "none" {
            eprintln!("# PostgreSQL skipped (NIANJIAN_BENCH_PG_URL=none)");
            return None;
        }
        let with_timeout = if url.contains('?') {
            format!("{url}&connect_timeout=3")
        } else {
            format!("{url}?connect_timeout=3")
        };
        match diesel::PgConnection::establish(&with_timeout) {
            Ok(_) => Some(url),
            Err(e) => {
                eprintln!("# PostgreSQL skipped: {url} does not answer ({e})");
                None
            }
        }
    })
    .clone()
}

fn replace_db_name(url: &str, name: &str) -> String {
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

/// A province with `departments` departments and one round.
pub struct Province {
    pub round: i64,
    pub departments: Vec<i64>,
}

/// A round of `rows` items split evenly over the province's departments, each department's
/// generated workbook read and committed through the real import path. Every department's names
/// are apart, except every 25th (R09 across departments).
pub fn import_round(conn: &mut DbConnection, province: &Province, rows: usize) {
    let per = rows.div_ceil(province.departments.len().max(1));
    let mut left = rows;
    for (d, &department) in province.departments.iter().enumerate() {
        let n = per.min(left);
        if n == 0 {
            break;
        }
        left -= n;
        let bytes = workbook_bytes(n, (d + 1) * 1_000_000);
        let name = format!("部门{d:02}.xlsx");
        let mut report = read(&name, &bytes, n);
        let upload = nianjian::service::import::Upload {
            round_id: province.round,
            department_id: department,
            file_name: &name,
            bytes: &bytes,
            uploaded_by: None,
        };
        nianjian::service::import::commit_report(
            conn,
            &nianjian::db::audit::Actor::cli(),
            &upload,
            &mut report,
        )
        .expect("commit");
    }
}

pub fn province(conn: &mut DbConnection, departments: usize) -> Province {
    let region: i64 = diesel::insert_into(regions::table)
        .values((
            regions::code.eq("370000"),
            regions::name.eq("山东省"),
            regions::level.eq("province"),
            regions::created_at.eq(now()),
        ))
        .returning(regions::id)
        .get_result(conn)
        .expect("region");
    let departments = (0..departments)
        .map(|d| {
            let name = match DEPARTMENTS.get(d) {
                Some(n) => format!("山东{n}"),
                None => format!("山东省第{d}厅"),
            };
            diesel::insert_into(departments::table)
                .values((
                    departments::region_id.eq(region),
                    departments::code.eq(format!("SD-{d:02}")),
                    departments::name.eq(name),
                    departments::created_at.eq(now()),
                ))
                .returning(departments::id)
                .get_result(conn)
                .expect("department")
        })
        .collect();
    let round = diesel::insert_into(rounds::table)
        .values((
            rounds::region_id.eq(region),
            rounds::name.eq("2026年年检和指定培训清理"),
            rounds::created_at.eq(now()),
        ))
        .returning(rounds::id)
        .get_result(conn)
        .expect("round");
    Province { round, departments }
}

// ---------------------------------------------------------------------------------------------
// Memory and statistics.

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`).
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets the peak RSS to the current RSS (Linux ≥ 4.0: `5` into `clear_refs`).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The `p`-th percentile (0–100) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
