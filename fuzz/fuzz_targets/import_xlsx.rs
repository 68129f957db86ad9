//! The whole in-process import of raw bytes named `upload.xlsx`, as the dry run reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nianjian::domain::Lang;
use nianjian::sheets::{Limits, read_workbook};

fuzz_target!(|data: &[u8]| {
    // Refusals (FileError) are fine; a panic, an abort, a hang or a blow-up is not.
    let _ = read_workbook("upload.xlsx", data, &Limits::default(), Lang::Zh);
});
