//! The `cycle` target: see `nianjian::fuzzing::run`, which `tests/fuzz_corpus.rs` replays too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nianjian::fuzzing::run("cycle", data));
