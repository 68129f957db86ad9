//! Review benches (issue #5): findings recompute and the consolidated list over a round of
//! `NIANJIAN_BENCH_ROWS` items (default 100000) from 20 departments.
//!
//! `cargo bench --bench review` — see BENCHMARKS.md:
//! - `recompute_round_*`: `service::findings::recompute(conn, &Selection::Round(id))`, target
//!   < 2 s on SQLite;
//! - `list_200_*`: 200 pages of 50 of `service::review::list_items` with varying filters and
//!   pages; divan times the 200, the p50/p99 per query are printed (target p99 < 50 ms).
//!
//! The round is built once per backend, before its first bench, through the real import path:
//! 20 generated workbooks read by `read_workbook` and stored by `commit_report`.

mod common;

use std::sync::Mutex;
use std::time::Instant;

use common::ScratchDb;
use divan::Bencher;
use nianjian::domain::{Lang, Severity};
use nianjian::service::findings::{self, Selection};
use nianjian::service::review::{self, ItemFilter, Visible};

/// Departments of the round; the items are split evenly between them.
const DEPARTMENTS: usize = 20;

struct World {
    db: ScratchDb,
    round: i64,
    departments: Vec<i64>,
}

/// The built rounds, dropped at the end of `main` (a PostgreSQL one drops its database).
static WORLDS: Mutex<Vec<World>> = Mutex::new(Vec::new());

fn main() {
    divan::main();
    WORLDS.lock().map(|mut w| w.clear()).unwrap_or_default();
}

fn build(db: ScratchDb) -> World {
    let started = Instant::now();
    let rows = common::rows();
    let mut conn = db.conn();
    let province = common::province(&mut conn, DEPARTMENTS);
    common::import_round(&mut conn, &province, rows);
    // The later departments' imports are small against the table and leave their rows to
    // autovacuum (`db::backend::refresh_item_statistics`); stand in for it, as a reviewer's
    // first look comes minutes after the uploads.
    nianjian::db::backend::vacuum_item_tables(&mut conn);
    eprintln!(
        "# {}: round of {rows} items from {DEPARTMENTS} departments built in {:.1} s",
        db.backend,
        started.elapsed().as_secs_f64()
    );
    drop(conn);
    World {
        db,
        round: province.round,
        departments: province.departments,
    }
}

/// Runs `f` on the round of a backend, building it on first use; `None` without the backend.
fn with_world<T>(backend: &str, f: impl FnOnce(&World) -> T) -> Option<T> {
    let mut worlds = WORLDS.lock().expect("lock");
    if !worlds.iter().any(|w| w.db.backend == backend) {
        let db = match backend {
            "sqlite" => ScratchDb::sqlite(),
            _ => ScratchDb::postgres()?,
        };
        worlds.push(build(db));
    }
    worlds.iter().find(|w| w.db.backend == backend).map(f)
}

fn recompute(b: Bencher, backend: &str) {
    with_world(backend, |world| {
        let mut conn = world.db.conn();
        b.bench_local(|| {
            findings::recompute(&mut conn, &Selection::Round(world.round)).expect("recompute")
        });
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn recompute_round_sqlite(b: Bencher) {
    recompute(b, "sqlite");
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn recompute_round_postgres(b: Bencher) {
    recompute(b, "postgres");
}

/// The kinds of query a reviewer makes, 40 of each.
const CATEGORIES: [&str; 5] = [
    "department + severity",
    "q (text search)",
    "department + severity + q",
    "severity only",
    "unfiltered",
];

const QUERIES: &[&str] = &[
    "道路运输",
    "特种设备",
    "第1234项",
    "许可证年审",
    "省卫生",
    "不存在的事项",
];

/// 200 filters: the five categories in turn, with pages 1 to 40 and the filters varying.
fn filters(departments: &[i64]) -> Vec<(usize, ItemFilter)> {
    let severities = [Severity::Warning, Severity::Error, Severity::Info];
    (0..200)
        .map(|i| {
            let category = i % CATEGORIES.len();
            let mut f = ItemFilter {
                page: 1 + ((i * 7) % 40) as u32,
                per_page: 50,
                ..ItemFilter::default()
            };
            let department = Some(departments[(i * 3) % departments.len()]);
            let severity = Some(severities[i % severities.len()]);
            let q = Some(QUERIES[(i / 5) % QUERIES.len()].to_string());
            match category {
                0 => (f.department, f.severity) = (department, severity),
                1 => f.q = q,
                2 => (f.department, f.severity, f.q) = (department, severity, q),
                3 => f.severity = severity,
                _ => {}
            }
            (category, f)
        })
        .collect()
}

fn list(b: Bencher, backend: &str) {
    with_world(backend, |world| {
        let mut conn = world.db.conn();
        let filters = filters(&world.departments);
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); CATEGORIES.len()];
        let mut run = |record: bool, times: &mut Vec<Vec<f64>>| {
            for (category, filter) in &filters {
                let started = Instant::now();
                let page =
                    review::list_items(&mut conn, &Visible::All, world.round, filter, Lang::Zh)
                        .expect("list");
                let ms = started.elapsed().as_secs_f64() * 1e3;
                std::hint::black_box(page);
                if record {
                    times[*category].push(ms);
                }
            }
        };
        // One pass to warm the caches, as a serving process has them.
        run(false, &mut times);
        b.bench_local(|| run(true, &mut times));
        let mut all: Vec<f64> = times.iter().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        eprintln!(
            "# list_items on {backend}: {} queries, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            all.len(),
            common::percentile(&all, 50.0),
            common::percentile(&all, 99.0),
            all.last().copied().unwrap_or(f64::NAN)
        );
        for (name, t) in CATEGORIES.iter().zip(&mut times) {
            t.sort_by(f64::total_cmp);
            eprintln!(
                "#   {name:<28} p50 {:>7.1} ms  p99 {:>7.1} ms",
                common::percentile(t, 50.0),
                common::percentile(t, 99.0)
            );
        }
    });
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn list_200_sqlite(b: Bencher) {
    list(b, "sqlite");
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn list_200_postgres(b: Bencher) {
    list(b, "postgres");
}
