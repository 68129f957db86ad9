//! What each cargo-fuzz target of `fuzz/` does with one input, in one place: the targets call
//! [`run`], and `tests/fuzz_corpus.rs` replays the committed corpora and crash inputs through
//! the same function on stable, so the two cannot drift apart. A refusal is fine; a panic, an
//! abort, a hang or a blow-up is a finding.

use crate::domain::Lang;
use crate::domain::basis::{infer_level, parse_bases};
use crate::domain::cycle::{BareUnit, parse_cycle};
use crate::sheets::{Limits, read_workbook};

/// Every target of `fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &[
    "import_xlsx",
    "import_xls",
    "import_ods",
    "import_csv",
    "cycle",
    "basis",
];

/// libfuzzer-sys makes every panic abort from its panic hook, even one the code under test
/// catches. The read catches panics of calamine's readers (a damaged file, as in production; see
/// `sheets::read::visit` and RELIABILITY.md), so the import targets print a panic instead: one
/// that escapes the read still ends the run, through libfuzzer-sys's own `catch_unwind` and
/// abort around the target.
fn report_panics_without_aborting() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}"))));
}

/// Runs one input through `target`. Panics on an unknown target.
pub fn run(target: &str, data: &[u8]) {
    match target {
        // The whole in-process import of raw bytes named `upload.<ext>`, as the dry run reads
        // them.
        "import_xlsx" | "import_xls" | "import_ods" | "import_csv" => {
            report_panics_without_aborting();
            let ext = target.trim_start_matches("import_");
            if let Err(e) =
                read_workbook(&format!("upload.{ext}"), data, &Limits::default(), Lang::Zh)
            {
                assert!(!e.message(Lang::Zh).is_empty());
            }
        }
        // The cycle parser on any text, without a unit and in both bare units.
        "cycle" => {
            let Ok(text) = std::str::from_utf8(data) else {
                return;
            };
            for unit in [None, Some(BareUnit::Months), Some(BareUnit::Years)] {
                match parse_cycle(text, unit) {
                    Ok(Some(months)) => {
                        assert!((1..=120).contains(&months), "{text:?} -> {months}")
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = e.message(Lang::Zh);
                        let _ = e.message(Lang::En);
                    }
                }
            }
            let _ = BareUnit::from_header(text);
        }
        // The legal-basis parser: the bytes before the first NUL are the 设定依据 cell, the rest
        // (when there is a NUL) the 依据层级 cell; the level inference on the whole text too.
        "basis" => {
            let Ok(text) = std::str::from_utf8(data) else {
                return;
            };
            let (bases, levels) = match text.split_once('\0') {
                Some((b, l)) => (b, Some(l)),
                None => (text, None),
            };
            match parse_bases(bases, levels) {
                Ok(parsed) => {
                    for basis in &parsed {
                        let _ = infer_level(&basis.title);
                    }
                }
                Err(e) => {
                    let _ = e.message(Lang::Zh);
                }
            }
            let _ = infer_level(bases);
        }
        other => panic!("unknown fuzz target {other}"),
    }
}
