//! Exports of a 100,000-item publication: the official xlsx layout against its floor — the same
//! cells written bare by rust_xlsxwriter in constant-memory mode (same strings, no formats, no
//! layout) — and csv and json. Run: `cargo bench --bench export` (BENCHMARKS.md "Export").
//!
//! Besides divan's wall-clock figures the binary has a mode for a busy machine and for
//! profilers, set by environment variables:
//!
//! - `EXPORT_CPU_TIME=N`: N rounds of layout and floor interleaved, process CPU time, medians
//!   and their ratio;
//! - `EXPORT_ONLY=layout|floor|publication`: one writer alone (for `/usr/bin/time -v` or
//!   callgrind), or only build the publication (the baseline RSS);
//! - `EXPORT_ITEMS=N`: a smaller publication (callgrind runs 10,000);
//! - `EXPORT_SAVE_TO=DIR`: keep both workbooks to compare them.

use std::sync::LazyLock;

use bench_publication::{bare_write, publication};
use nianjian::domain::Lang;
use nianjian::domain::publication::Publication;
use nianjian::export;
use nianjian::export::xlsx::BareCell;

#[path = "common/publication.rs"]
mod bench_publication;

const ITEMS: u32 = 100_000;

fn main() {
    // On a shared machine wall time swings with the neighbours' load; process CPU time,
    // measured with the two writers interleaved, shows the ratio to the floor more steadily.
    if let Some(rounds) = std::env::var_os("EXPORT_CPU_TIME") {
        cpu_time_ratio(rounds.to_str().and_then(|r| r.parse().ok()).unwrap_or(10));
        return;
    }
    divan::main();
}

/// CPU time of this process (all threads), for the interleaved comparison.
fn process_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cpu_time_ratio(rounds: usize) {
    // EXPORT_ONLY=layout|floor runs one writer alone (for its peak RSS or a profile);
    // EXPORT_ONLY=publication only builds the publication (the baseline RSS).
    let only = std::env::var("EXPORT_ONLY").unwrap_or_default();
    let p = &*PUBLICATION;
    if only == "publication" {
        println!("{} items", p.items.len());
        return;
    }
    let (mut layout, mut floor) = (Vec::new(), Vec::new());
    let (mut layout_wall, mut floor_wall) = (Vec::new(), Vec::new());
    let mut sizes = (0, 0);
    for _ in 0..rounds {
        if only != "floor" {
            let (t, w) = (process_cpu(), std::time::Instant::now());
            let a = export::xlsx::write(p, Lang::Zh).map(|b| b.len());
            layout.push((process_cpu() - t).as_secs_f64());
            layout_wall.push(w.elapsed().as_secs_f64());
            sizes.0 = a.unwrap_or(0);
        }
        if only != "layout" {
            let cells = &*BARE;
            let (t, w) = (process_cpu(), std::time::Instant::now());
            let b = bare_write(cells, true).map(|b| b.len());
            floor.push((process_cpu() - t).as_secs_f64());
            floor_wall.push(w.elapsed().as_secs_f64());
            sizes.1 = b.unwrap_or(0);
        }
    }
    if layout.is_empty() || floor.is_empty() {
        println!("cpu time (s): layout {layout:?} floor {floor:?}");
        return;
    }
    let (l, f) = (median(layout), median(floor));
    println!(
        "cpu time, median of {rounds}: xlsx_layout {:.0} ms ({} bytes), \
         xlsx_bare_floor {:.0} ms ({} bytes), ratio {:.2}",
        l * 1e3,
        sizes.0,
        f * 1e3,
        sizes.1,
        l / f
    );
    let (lw, fw) = (median(layout_wall), median(floor_wall));
    println!(
        "wall time, median of {rounds} interleaved: xlsx_layout {:.0} ms, xlsx_bare_floor {:.0} ms, ratio {:.2}",
        lw * 1e3,
        fw * 1e3,
        lw / fw
    );
    if let Some(dir) = std::env::var_os("EXPORT_SAVE_TO") {
        let dir = std::path::Path::new(&dir);
        let saved = export::xlsx::write(p, Lang::Zh)
            .and_then(|a| Ok((a, bare_write(&BARE, true)?)))
            .map(|(a, b)| {
                std::fs::write(dir.join("layout.xlsx"), a).is_ok()
                    && std::fs::write(dir.join("floor.xlsx"), b).is_ok()
            });
        println!("saved to {}: {saved:?}", dir.display());
    }
}

/// `EXPORT_ITEMS` makes it smaller, e.g. for a run under callgrind.
static PUBLICATION: LazyLock<Publication> = LazyLock::new(|| {
    let items = std::env::var("EXPORT_ITEMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ITEMS);
    publication(items)
});

/// The cells of the layout, rendered before timing: the floor only writes them.
static BARE: LazyLock<Vec<(String, Vec<Vec<BareCell>>)>> =
    LazyLock::new(|| export::xlsx::bare_cells(&PUBLICATION, Lang::Zh));

#[divan::bench(sample_count = 10, sample_size = 1)]
fn xlsx_layout(bencher: divan::Bencher) {
    let p = &*PUBLICATION;
    bencher.bench(|| export::xlsx::write(p, Lang::Zh).map(|b| b.len()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn xlsx_bare_floor(bencher: divan::Bencher) {
    let cells = &*BARE;
    bencher.bench(|| bare_write(cells, true).map(|b| b.len()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn csv_all_lists(bencher: divan::Bencher) {
    let p = &*PUBLICATION;
    bencher.bench(|| export::csv::write(p, None, Lang::Zh).len());
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn json(bencher: divan::Bencher) {
    let p = &*PUBLICATION;
    bencher.bench(|| export::json::write(p).len());
}
