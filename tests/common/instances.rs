//! Concurrent uploads against real servers, shared by tests/concurrency.rs and
//! benches/instances.rs: seeding through the admin commands, what was stored, and the run of two
//! servers on one PostgreSQL (issue #10) with the public list read meanwhile.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::server::{self, Server};
use super::workbook::workbook_bytes;
use diesel::prelude::*;
use nianjian::db::audit::Actor;
use nianjian::db::schema::{audit_log, departments, items, rounds, submissions};
use nianjian::db::{DatabaseUrl, Db, tokens, users, write_transaction};

/// The URL text the binary is given for a test database.
pub fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

/// A database seeded through the admin commands: departments `D001`…, one round, a reviewer of
/// the province with an API token. (round id, department codes, token secret)
pub fn seeded(test_db: &super::TestDb, dir: &Path, count: usize) -> (i64, Vec<String>, String) {
    let url = url_text(&test_db.url);
    let codes = server::seed_province(dir, &url, count);
    let mut conn = test_db.db.conn().unwrap();
    let round: i64 = rounds::table
        .select(rounds::id)
        .order(rounds::id.desc())
        .first(&mut conn)
        .unwrap();
    let office = users::find_by_username(&mut conn, "office")
        .unwrap()
        .expect("the reviewer the CLI added");
    let issued = write_transaction(&mut conn, |c| {
        tokens::create(c, &Actor::cli(), office.id, "并发上传测试")
    })
    .unwrap();
    (round, codes, issued.secret)
}

/// A submission as stored: (id, department code, sha256, items it stated, superseded_by).
pub type Stored = (i64, String, String, i64, Option<i64>);

pub fn stored(db: &Db, round: i64) -> Vec<Stored> {
    let mut conn = db.conn().unwrap();
    submissions::table
        .inner_join(departments::table)
        .filter(submissions::round_id.eq(round))
        .select((
            submissions::id,
            departments::code,
            submissions::sha256,
            submissions::item_count,
            submissions::superseded_by,
        ))
        .order(submissions::id)
        .load(&mut conn)
        .unwrap()
}

/// The live items of each department code in the round.
pub fn live_items(db: &Db, round: i64) -> BTreeMap<String, i64> {
    let mut conn = db.conn().unwrap();
    let rows: Vec<String> = items::table
        .inner_join(departments::table)
        .filter(items::round_id.eq(round))
        .filter(items::withdrawn.eq(false))
        .select(departments::code)
        .load(&mut conn)
        .unwrap();
    let mut out = BTreeMap::new();
    for code in rows {
        *out.entry(code).or_insert(0) += 1;
    }
    out
}

/// The submission ids of the `submission.import` audit entries, in the chain's order.
pub fn import_order(db: &Db) -> Vec<i64> {
    let mut conn = db.conn().unwrap();
    audit_log::table
        .filter(audit_log::action.eq("submission.import"))
        .order(audit_log::id)
        .select(audit_log::entity_id)
        .load::<Option<String>>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|id| id.expect("entity id").parse().unwrap())
        .collect()
}

pub fn audit_verify(dir: &Path, url: &str) {
    let out = server::cli(dir, url, &["audit", "verify"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit chain intact"));
}

pub fn sha(bytes: &[u8]) -> String {
    nianjian::service::import::sha256_hex(bytes)
}

/// Publishes one small round of the first department (everything cancelled), so the public list
/// has something to read while the uploads run.
fn publish_something(db: &Db, round: i64) {
    use nianjian::service::decisions::{DecisionInput, decide_many};
    let mut conn = db.conn().unwrap();
    let ids: Vec<i64> = items::table
        .filter(items::round_id.eq(round))
        .select(items::id)
        .load(&mut conn)
        .unwrap();
    let input = DecisionInput {
        decision: "cancel".into(),
        cycle_months: None,
        rationale: "并发测试".into(),
        necessity: None,
    };
    decide_many(&mut conn, &Actor::cli(), round, &ids, &input).expect("decide");
    nianjian::service::publish::publish(&mut conn, &Actor::cli(), round).expect("publish");
}

/// What a run of [`two_instances`] measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// From the first upload sent to the last answered.
    pub upload_seconds: f64,
    /// Each upload's answer time, sorted.
    pub upload_latencies: Vec<Duration>,
    /// Each public read's answer time while the uploads ran, sorted.
    pub read_latencies: Vec<Duration>,
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Two servers, one PostgreSQL, `departments` uploads of `rows` items split between them while
/// one reader per server pages through the public list. Every upload must answer 201, every read
/// 200, and afterwards every department has exactly one submission in force with all its
/// items. `None` when no PostgreSQL is configured (a loud skip; a failure under CI).
pub fn two_instances(departments: usize, rows: usize) -> Option<Figures> {
    let test_db = super::TestDb::postgres()?;
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&test_db.url);
    let (round, codes, token) = seeded(&test_db, dir.path(), departments);
    let a = Server::start(&url);
    let b = Server::start(&url);
    let ports = [a.port, b.port];

    // A publication to read: the first department's earlier file, decided and published.
    let (status, body) = server::upload(
        a.port,
        &token,
        round,
        &codes[0],
        "年检事项.xlsx",
        &workbook_bytes(rows.min(200), 0),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    publish_something(&test_db.db, round);

    let files: Vec<Vec<u8>> = (0..departments)
        .map(|i| workbook_bytes(rows, (i + 1) * 1_000_000))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = ports
        .iter()
        .map(|&port| {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut page = 1;
                while !done.load(Ordering::SeqCst) {
                    let path = format!("/api/v1/publications/latest/items?per_page=50&page={page}");
                    let sent = Instant::now();
                    let (status, body) =
                        server::request(port, "GET", &path, &[], &[]).expect("the server answers");
                    latencies.push(sent.elapsed());
                    assert_eq!(status, 200, "{path}: {body:.300}");
                    assert!(body.contains("\"items\""), "{body:.300}");
                    page = page % 3 + 1;
                }
                latencies
            })
        })
        .collect();

    let barrier = Arc::new(Barrier::new(departments));
    let started = Instant::now();
    let uploads: Vec<_> = codes
        .iter()
        .cloned()
        .zip(files)
        .enumerate()
        .map(|(i, (code, bytes))| {
            let (barrier, token) = (barrier.clone(), token.clone());
            let port = ports[i % 2];
            std::thread::spawn(move || {
                barrier.wait();
                let sent = Instant::now();
                let (status, body) =
                    server::upload(port, &token, round, &code, "年检事项.xlsx", &bytes)
                        .expect("the server answers");
                (code, status, body, sent.elapsed())
            })
        })
        .collect();
    let mut upload_latencies = Vec::new();
    for h in uploads {
        let (code, status, body, took) = h.join().unwrap();
        assert_eq!(status, 201, "{code}: {body:.500}");
        upload_latencies.push(took);
    }
    let upload_seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::SeqCst);
    let mut read_latencies: Vec<Duration> = readers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    read_latencies.sort();
    upload_latencies.sort();

    // Every department once in force with all its items; the first one's earlier file
    // superseded by its new one.
    let all = stored(&test_db.db, round);
    assert_eq!(
        all.len(),
        departments + 1,
        "every submission lands exactly once"
    );
    let in_force: Vec<&Stored> = all.iter().filter(|r| r.4.is_none()).collect();
    let mut seen: Vec<&str> = in_force.iter().map(|r| r.1.as_str()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(in_force.len(), departments);
    assert_eq!(seen.len(), departments);
    for row in &in_force {
        assert_eq!(row.3, rows as i64, "{}", row.1);
    }
    let live = live_items(&test_db.db, round);
    assert_eq!(live.values().sum::<i64>(), (departments * rows) as i64);
    assert_eq!(import_order(&test_db.db).len(), departments + 1);
    drop((a, b));
    audit_verify(dir.path(), &url);
    Some(Figures {
        upload_seconds,
        upload_latencies,
        read_latencies,
    })
}
