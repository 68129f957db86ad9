//! Two `nianjian serve` instances on one PostgreSQL (issue #10): 50 departments upload at once,
//! 25 to each instance, while one reader per instance pages through the public list. The same
//! run as `tests/concurrency.rs` checks (every submission lands exactly once, no request fails,
//! the counts match), at full size, with the figures BENCHMARKS.md quotes.
//!
//! `cargo bench --bench instances`. Sizes: `NIANJIAN_BENCH_DEPARTMENTS` (default 50) and
//! `NIANJIAN_BENCH_ROWS` (items per department's workbook, default 2000). The PostgreSQL server
//! is `NIANJIAN_TEST_DATABASE_URL`, else `NIANJIAN_BENCH_PG_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::instances::{percentile, two_instances};

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: stay quick then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if std::env::var("NIANJIAN_TEST_DATABASE_URL").is_err() {
        let url = std::env::var("NIANJIAN_BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        // SAFETY: set before any thread starts.
        unsafe { std::env::set_var("NIANJIAN_TEST_DATABASE_URL", url) };
    }
    let departments = size("NIANJIAN_BENCH_DEPARTMENTS", 50);
    let rows = size("NIANJIAN_BENCH_ROWS", 2000);
    eprintln!("# two instances, {departments} departments × {rows} rows, one PostgreSQL");
    let Some(f) = two_instances(departments, rows) else {
        eprintln!("SKIPPED: no PostgreSQL");
        return;
    };
    let items = departments * rows;
    println!(
        "uploads: {departments} × {rows} rows = {items} items in {:.2} s ({:.1} uploads/s, {:.0} items/s)",
        f.upload_seconds,
        departments as f64 / f.upload_seconds,
        items as f64 / f.upload_seconds
    );
    println!(
        "upload answer time: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        ms(percentile(&f.upload_latencies, 0.5)),
        ms(percentile(&f.upload_latencies, 0.99)),
        ms(*f.upload_latencies.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "public list reads meanwhile: {} ({:.1}/s), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        f.read_latencies.len(),
        f.read_latencies.len() as f64 / f.upload_seconds,
        ms(percentile(&f.read_latencies, 0.5)),
        ms(percentile(&f.read_latencies, 0.99)),
        ms(*f.read_latencies.last().unwrap_or(&Duration::ZERO))
    );
}
