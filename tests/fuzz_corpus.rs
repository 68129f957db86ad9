//! Replays the committed fuzz corpora and crash inputs (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through `nianjian::fuzzing::run`, which the cargo-fuzz targets of `fuzz/` call,
//! on stable, so that whatever the fuzzer once found stays fixed. RELIABILITY.md says how the
//! corpora were made.

use std::path::Path;

use nianjian::fuzzing::{TARGETS, run};

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
