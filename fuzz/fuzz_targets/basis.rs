//! The legal-basis parser: the bytes before the first NUL are the 设定依据 cell, the rest (when
//! there is a NUL) the 依据层级 cell; the level inference on the whole text too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nianjian::domain::Lang;
use nianjian::domain::basis::{infer_level, parse_bases};

fuzz_target!(|data: &[u8]| {
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
});
