//! The public site under load (issues #6 and #10): a publication of `NIANJIAN_BENCH_ROWS` items
//! (default 100000) from 20 departments, built through the real import, decision and publish
//! paths into a SQLite file, then
//! - in process: the public list (50 items, filtered by list and department, pages varying) and
//!   search (`service::public::items` with `q`), 200 queries each, p50/p99 per query;
//! - over HTTP: the real binary (`nianjian serve`) on a loopback port, loaded by `wrk` (Debian's
//!   package) at 16 and 64 connections on the list JSON and the search JSON, requests/s and
//!   p50/p99; and the server's peak RSS.
//!
//! `cargo bench --bench public`. `NIANJIAN_BENCH_PUBLIC_DB=FILE` keeps the built database (and
//! reuses it when it is there); `NIANJIAN_BENCH_SECONDS` sets each wrk run's length (default 10).
//! Without `wrk` the HTTP part says SKIPPED and the rest runs. Figures: BENCHMARKS.md.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use nianjian::db::audit::Actor;
use nianjian::db::schema::{findings, items};
use nianjian::db::{DatabaseUrl, Db};
use nianjian::domain::publication::List;
use nianjian::service::decisions::{DecisionInput, decide_many};
use nianjian::service::public::{self, ItemQuery};
use nianjian::service::publish::{self, Which};

const DEPARTMENTS: usize = 20;
const SEARCHES: &[&str] = &[
    "道路运输",
    "特种设备",
    "第1234项",
    "许可证年审",
    "年检",
    "驾驶",
    "不存在的事项",
];

fn main() {
    let rows = common::rows();
    let (_keep, path) = database(rows);
    let db = Db::open(&DatabaseUrl::Sqlite(path.clone())).expect("open");
    in_process(&db);
    drop(db);
    http(&path);
}

/// The database file: reused from `NIANJIAN_BENCH_PUBLIC_DB` when there, else built.
fn database(rows: usize) -> (Option<tempfile::TempDir>, PathBuf) {
    let (dir, path) = match std::env::var_os("NIANJIAN_BENCH_PUBLIC_DB") {
        Some(p) => (None, PathBuf::from(p)),
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("public.db");
            (Some(dir), path)
        }
    };
    if path.exists() {
        eprintln!("# reusing {}", path.display());
        return (dir, path);
    }
    let started = Instant::now();
    let db = Db::open(&DatabaseUrl::Sqlite(path.clone())).expect("create");
    let mut conn = db.conn().expect("conn");
    let province = common::province(&mut conn, DEPARTMENTS);
    let actor = Actor::cli();
    common::import_round(&mut conn, &province, rows);
    for &department in &province.departments {
        // The office's decisions: inspections the plan lets it keep are converted to annual
        // reports; those without a legal basis or set by the province (R01/R02), and every
        // training, are cancelled — so two of the public lists are full.
        let flagged: Vec<i64> = findings::table
            .inner_join(items::table)
            .filter(items::department_id.eq(department))
            .filter(findings::code.eq_any(["R01", "R02"]))
            .select(items::id)
            .load(&mut conn)
            .expect("flagged");
        let all: Vec<(i64, String)> = items::table
            .filter(items::department_id.eq(department))
            .select((items::id, items::kind))
            .load(&mut conn)
            .expect("ids");
        let (convert, cancel): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|(id, kind)| kind == "inspection" && !flagged.contains(id));
        for (ids, decision) in [(convert, "convert_to_annual_report"), (cancel, "cancel")] {
            let ids: Vec<i64> = ids.into_iter().map(|(id, _)| id).collect();
            let input = DecisionInput {
                decision: decision.into(),
                cycle_months: None,
                rationale: "基准测试".into(),
                necessity: None,
            };
            decide_many(&mut conn, &actor, province.round, &ids, &input).expect("decide");
        }
    }
    let publication = publish::publish(&mut conn, &actor, province.round).expect("publish");
    eprintln!(
        "# built publication {} of {rows} items in {:.1} s at {}",
        publication.number,
        started.elapsed().as_secs_f64(),
        path.display()
    );
    (dir, path)
}

fn department_codes() -> Vec<String> {
    (0..DEPARTMENTS).map(|d| format!("SD-{d:02}")).collect()
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<44} n={:<4} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        ms.len(),
        common::percentile(&ms, 50.0),
        common::percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(0.0)
    );
}

/// The service calls behind the public list and search, timed one by one.
fn in_process(db: &Db) {
    let mut conn = db.conn().expect("conn");
    let departments = department_codes();
    let time = |conn: &mut nianjian::db::Conn, q: &ItemQuery| {
        let t = Instant::now();
        let page = public::items(conn, None, Which::Latest, q).expect("items");
        std::hint::black_box(page);
        t.elapsed().as_secs_f64() * 1000.0
    };
    // Warm the page cache once.
    time(&mut conn, &ItemQuery::default());
    let list: Vec<f64> = (0..200)
        .map(|i| {
            let q = ItemQuery {
                list: Some(if i % 2 == 0 {
                    List::Converted
                } else {
                    List::Cancelled
                }),
                department: Some(departments[i % departments.len()].clone()),
                page: 1 + (i as u32 % 40),
                per_page: 50,
                ..ItemQuery::default()
            };
            time(&mut conn, &q)
        })
        .collect();
    report("list: list + department, pages 1-40, 50/page", list);
    let mut search = Vec::new();
    for term in SEARCHES {
        // The first search of a term reads its part of the full-text index from disk when the
        // database was built by an earlier run: warm it, as a serving process has it.
        let warm = ItemQuery {
            q: Some(term.to_string()),
            ..ItemQuery::default()
        };
        time(&mut conn, &warm);
        let ms: Vec<f64> = (0..30)
            .map(|i| {
                let q = ItemQuery {
                    q: Some(term.to_string()),
                    page: 1 + (i as u32 % 3),
                    per_page: 50,
                    ..ItemQuery::default()
                };
                time(&mut conn, &q)
            })
            .collect();
        report(&format!("  search \"{term}\""), ms.clone());
        search.extend(ms);
    }
    report("search: all 7 terms (2-5 chars), 50/page", search);
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// `nianjian serve` on the database, loaded by wrk.
fn http(path: &Path) {
    let Some(wrk) = which("wrk") else {
        println!("SKIPPED http load: wrk not found (apt-get install wrk)");
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let child = Command::new(env!("CARGO_BIN_EXE_nianjian"))
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .env("NIANJIAN_ADDRESS", "127.0.0.1")
        .env("NIANJIAN_PORT", port.to_string())
        .env("NIANJIAN_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let server = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let departments = department_codes();
    let list: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "/api/v1/publications/latest/items?list={}&department={}&page={}&per_page=50",
                if i % 2 == 0 { "converted" } else { "cancelled" },
                departments[i % departments.len()],
                1 + i % 40
            )
        })
        .collect();
    let search: Vec<String> = (0..SEARCHES.len() * 3)
        .map(|i| {
            format!(
                "/api/v1/publications/latest/items?q={}&page={}&per_page=50",
                nianjian::web::pages::url_encode(SEARCHES[i % SEARCHES.len()]),
                1 + i % 3
            )
        })
        .collect();
    let seconds: u32 = std::env::var("NIANJIAN_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let scripts = tempfile::tempdir().expect("temp dir");
    println!("wrk -t2 -d{seconds}s --latency, each request a different path of the set:");
    for (name, paths) in [("list JSON", &list), ("search JSON", &search)] {
        let script = scripts
            .path()
            .join(format!("{}.lua", name.replace(' ', "_")));
        let mut f = std::fs::File::create(&script).expect("script");
        writeln!(f, "local paths = {{").unwrap();
        for p in paths {
            writeln!(f, "  \"{p}\",").unwrap();
        }
        writeln!(f, "}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", paths[(i % #paths) + 1])\nend").unwrap();
        drop(f);
        for connections in [16, 64] {
            let out = Command::new(&wrk)
                .args([
                    "-t2",
                    &format!("-c{connections}"),
                    &format!("-d{seconds}s"),
                    "--latency",
                    "-s",
                ])
                .arg(&script)
                .arg(format!("http://127.0.0.1:{port}"))
                .output()
                .expect("wrk");
            let text = String::from_utf8_lossy(&out.stdout);
            let field = |prefix: &str| {
                text.lines()
                    .find(|l| l.trim_start().starts_with(prefix))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .unwrap_or("?")
                    .to_string()
            };
            let errors = text
                .lines()
                .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
                .collect::<Vec<_>>()
                .join("; ");
            println!(
                "{name:<12} c={connections:<3} {:>9} req/s   p50 {:>8}   p99 {:>8}   {}",
                field("Requests/sec:"),
                field("50%"),
                field("99%"),
                if errors.is_empty() {
                    "no errors".to_string()
                } else {
                    errors
                }
            );
        }
    }
    let hwm = std::fs::read_to_string(format!("/proc/{}/status", server.0.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .unwrap_or(0);
    println!("serve peak RSS (VmHWM) {:.1} MiB", hwm as f64 / 1024.0);
    drop(server);
}
