//! Reading workbooks into domain drafts with cell-referenced errors; writing the template and
//! the annotated workbook.
//!
//! [`read_workbook`] is the one entry point of an import: pure (no database, no files), it
//! sniffs the real format, applies the [`Limits`], finds the header row of every visible sheet,
//! maps its columns by the [`spec`] and turns each row into an [`ItemDraft`](crate::domain::ItemDraft)
//! with cell-exact errors and the review rules' findings.

pub mod annotate;
mod cfb;
pub mod guard;
mod import;
pub mod read;
pub mod report;
pub mod spec;
pub mod template;

use sha2::{Digest, Sha256};

pub use annotate::{AnnotateError, annotate};
pub use guard::{FileError, FileErrorCode, Format, Limits};
pub use import::Streamed;
pub use report::{CellError, ImportReport, Notice, ReportItem, SheetReport, Summary};
pub use template::write_template;

use crate::domain::Lang;

/// Reads a department's workbook into a report: the items, every cell error, the notices.
/// `Err` when the file cannot be used at all (exit 2, HTTP 422).
pub fn read_workbook(
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
    lang: Lang,
) -> Result<ImportReport, FileError> {
    read(file_name, bytes, limits, lang, None)
}

/// [`read_workbook`], handing each item to `sink` as soon as nothing further in the file can
/// change it (in order, a few thousand at a time), so that a caller can store items while the
/// rest are read. The report holds only the items not handed on (its summary counts them all):
/// a 100,000-row file is never held whole. After [`Streamed::Reset`] nothing more is streamed
/// and what was streamed must be forgotten: the file is read again, and the report holds every
/// item as it finally reads.
pub fn read_workbook_streaming(
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
    lang: Lang,
    sink: &mut (dyn FnMut(Streamed<'_>) + Send),
) -> Result<ImportReport, FileError> {
    read(file_name, bytes, limits, lang, Some(sink))
}

fn read(
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
    lang: Lang,
    sink: Option<&mut (dyn FnMut(Streamed<'_>) + Send)>,
) -> Result<ImportReport, FileError> {
    let sniffed = guard::sniff(file_name, bytes, limits)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let streaming = sink.is_some();
    let mut import = import::Import::new(file_name, sha256, &sniffed, lang, sink);
    read::visit(file_name, bytes, &sniffed, limits, &mut import)?;
    if streaming && import.was_reset() {
        // The items handed on were let go of and must be taken back: the file is read again,
        // whole (only files whose big sheets have merged cells over required ones come here).
        drop(import);
        return read(file_name, bytes, limits, lang, None);
    }
    import.finish()
}
