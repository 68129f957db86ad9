//! Replays the committed fuzz corpora and crash inputs (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through the same calls the cargo-fuzz targets of `fuzz/` make,
//! on stable, so that whatever the fuzzer once found stays fixed. RELIABILITY.md says how the
//! corpora were made.

use std::path::Path;

use nianjian::domain::Lang;
use nianjian::domain::basis::{infer_level, parse_bases};
use nianjian::domain::cycle::{BareUnit, parse_cycle};
use nianjian::sheets::{Limits, read_workbook};

/// Every target of `fuzz/Cargo.toml`.
const TARGETS: &[&str] = &[
    "import_xlsx",
    "import_xls",
    "import_ods",
    "import_csv",
    "cycle",
    "basis",
];

/// What `fuzz/fuzz_targets/<target>.rs` does with one input.
fn run(target: &str, data: &[u8]) {
    match target {
        "import_xlsx" | "import_xls" | "import_ods" | "import_csv" => {
            let ext = target.trim_start_matches("import_");
            if let Err(e) =
                read_workbook(&format!("upload.{ext}"), data, &Limits::default(), Lang::Zh)
            {
                assert!(!e.message(Lang::Zh).is_empty());
            }
        }
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

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read corpus file"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_committed_corpus_and_crash_input_replays_cleanly() {
    let mut replayed = 0;
    for target in TARGETS {
        let corpus = inputs("corpus", target);
        // A target whose corpus went missing would make this test pass on nothing.
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
        for (name, data) in corpus.iter().chain(&inputs("regressions", target)) {
            let outcome = std::panic::catch_unwind(|| run(target, data));
            assert!(outcome.is_ok(), "{target}: {name} panicked");
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} fuzz inputs");
}
