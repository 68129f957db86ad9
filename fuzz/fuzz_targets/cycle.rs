//! The cycle parser on any text, without a unit and in both bare units.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nianjian::domain::Lang;
use nianjian::domain::cycle::{BareUnit, parse_cycle};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for unit in [None, Some(BareUnit::Months), Some(BareUnit::Years)] {
        match parse_cycle(text, unit) {
            Ok(Some(months)) => assert!((1..=120).contains(&months), "{text:?} -> {months}"),
            Ok(None) => {}
            Err(e) => {
                let _ = e.message(Lang::Zh);
                let _ = e.message(Lang::En);
            }
        }
    }
    let _ = BareUnit::from_header(text);
});
