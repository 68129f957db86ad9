//! The Rust half of the side by side of issue #10 (`scripts/compare.sh`, BENCHMARKS.md "Side by
//! side"): nianjian's import read and xlsx export against their floors — calamine and
//! rust_xlsxwriter used bare — on the same data the Python tools are given.
//!
//! Not a divan bench: `scripts/compare.sh` runs this binary once per measurement, each in a
//! process of its own, so the peak RSS the script reads from `wait4` is that one tool's.
//!
//! - `compare prepare DIR`: writes `DIR/workbook.xlsx` (the department workbook of
//!   `benches/common`, `NIANJIAN_BENCH_ROWS` rows × 14 columns, default 100,000) and
//!   `DIR/export-cells.json` (every cell of the 100,000-item publication of `benches/export.rs`
//!   as the floor writes it, for Python's XlsxWriter to write the very same cells);
//! - `compare TOOL DIR`: one timed run of TOOL, printed as one JSON line
//!   `{"tool", "seconds", "cpu_seconds", "count"}` (wall time, and the process's CPU time over
//!   the same span, steadier on a shared machine); the input is loaded before the clock starts.
//!
//! Tools, import (read `DIR/workbook.xlsx`, already in memory):
//! - `read_workbook`: `nianjian::sheets::read_workbook`, the dry run in process;
//! - `calamine_stream`: calamine's streaming cell reader visiting every cell (the floor);
//! - `calamine_range`: calamine's whole-sheet `worksheet_range`, every cell visited.
//!
//! Tools, export (write `DIR/out-TOOL.xlsx`, file write included):
//! - `nianjian_xlsx`: `export::xlsx::write`, the official layout;
//! - `rust_xlsxwriter_constant`: the same cells bare, constant-memory worksheets (the floor);
//! - `rust_xlsxwriter_default`: the same cells bare, default worksheets.

#[path = "common/publication.rs"]
mod bench_publication;
mod common;

use std::hint::black_box;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bench_publication::{bare_write, publication};
use calamine::{Reader, Xlsx};
use nianjian::domain::Lang;
use nianjian::export;
use nianjian::export::xlsx::BareCell;
use serde_json::{Value, json};

/// The publication's size, as in `benches/export.rs`, unless `NIANJIAN_BENCH_ROWS` says
/// otherwise (a quick run of the script).
fn items() -> u32 {
    std::env::var("NIANJIAN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .filter(|&n: &u32| n > 0)
        .unwrap_or(100_000)
}

fn main() {
    // `cargo bench` runs every bench with `--bench`; this one only makes sense from the script.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (tool, dir) = match args.as_slice() {
        [tool, dir] => (tool.as_str(), PathBuf::from(dir)),
        _ => {
            eprintln!(
                "compare: run through scripts/compare.sh (usage: compare prepare DIR | compare TOOL DIR)"
            );
            return;
        }
    };
    if let Err(e) = run(tool, &dir) {
        eprintln!("compare {tool}: {e}");
        std::process::exit(1);
    }
}

fn run(tool: &str, dir: &Path) -> anyhow::Result<()> {
    let workbook = dir.join("workbook.xlsx");
    let (clock, count) = match tool {
        "prepare" => return prepare(dir),
        "read_workbook" => {
            let bytes = std::fs::read(&workbook)?;
            let rows = common::rows();
            let (limits, name) = (common::limits(rows), common::file_name(rows));
            let t = Clock::start();
            let report = nianjian::sheets::read_workbook(&name, &bytes, &limits, Lang::Zh)?;
            let clock = t.stop();
            anyhow::ensure!(report.errors.is_empty(), "the workbook has errors");
            (clock, report.items.len())
        }
        "calamine_stream" => {
            let bytes = std::fs::read(&workbook)?;
            let t = Clock::start();
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(&bytes))?;
            let name = book.sheet_names()[0].clone();
            let mut cells = book.worksheet_cells_reader(&name)?;
            let mut count = 0usize;
            while let Some(cell) = cells.next_cell()? {
                black_box(cell.get_value());
                count += 1;
            }
            (t.stop(), count)
        }
        "calamine_range" => {
            let bytes = std::fs::read(&workbook)?;
            let t = Clock::start();
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(&bytes))?;
            let name = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&name)?;
            let mut count = 0usize;
            for cell in range.used_cells() {
                black_box(cell);
                count += 1;
            }
            (t.stop(), count)
        }
        "nianjian_xlsx" => {
            let p = publication(items());
            let t = Clock::start();
            let bytes = export::xlsx::write(&p, Lang::Zh)?;
            std::fs::write(dir.join("out-nianjian_xlsx.xlsx"), &bytes)?;
            (t.stop(), p.items.len())
        }
        "rust_xlsxwriter_constant" | "rust_xlsxwriter_default" => {
            let p = publication(items());
            let cells = export::xlsx::bare_cells(&p, Lang::Zh);
            drop(p);
            let t = Clock::start();
            let bytes = bare_write(&cells, tool == "rust_xlsxwriter_constant")?;
            std::fs::write(dir.join(format!("out-{tool}.xlsx")), &bytes)?;
            (t.stop(), rows_of(&cells))
        }
        _ => anyhow::bail!("unknown tool"),
    };
    println!(
        "{}",
        json!({
            "tool": tool,
            "seconds": clock.0.as_secs_f64(),
            "cpu_seconds": clock.1.as_secs_f64(),
            "count": count,
        })
    );
    Ok(())
}

/// Wall and process CPU time (all threads) since `start`.
struct Clock(Instant, Duration);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now(), process_cpu())
    }

    fn stop(self) -> (Duration, Duration) {
        (self.0.elapsed(), process_cpu().saturating_sub(self.1))
    }
}

fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Item rows of the bare sheets: each sheet has a title row and a header row above its items.
fn rows_of(cells: &[(String, Vec<Vec<BareCell>>)]) -> usize {
    cells
        .iter()
        .map(|(_, rows)| rows.len().saturating_sub(2))
        .sum()
}

fn prepare(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let rows = common::rows();
    let t = Instant::now();
    std::fs::write(dir.join("workbook.xlsx"), common::workbook_bytes(rows, 0))?;
    eprintln!(
        "# workbook.xlsx: {rows} item rows × 14 columns, generated in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let p = publication(items());
    let cells = export::xlsx::bare_cells(&p, Lang::Zh);
    let sheets: Vec<Value> = cells
        .iter()
        .map(|(name, rows)| {
            let rows: Vec<Value> = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|cell| match cell {
                            BareCell::Empty => Value::Null,
                            BareCell::Text(s) => Value::from(s.as_str()),
                            BareCell::Number(n) => Value::from(*n),
                        })
                        .collect()
                })
                .collect();
            json!({ "name": name, "rows": rows })
        })
        .collect();
    let out = std::io::BufWriter::new(std::fs::File::create(dir.join("export-cells.json"))?);
    serde_json::to_writer(out, &sheets)?;
    eprintln!(
        "# export-cells.json: {} items in {} sheets",
        rows_of(&cells),
        cells.len()
    );
    Ok(())
}
