//! The csv export: UTF-8 with a BOM (so Excel and WPS open the Chinese right), every field
//! quoted, CRLF line ends, one list per file or all of them with a 清单 column.
//!
//! Formula injection: a spreadsheet evaluates a field that starts with `=`, `+`, `-` or `@` (and
//! some read a leading tab, CR or NUL the same way), so such a field gets a leading `'` — in the
//! exported copy only; the publication keeps the value as it was decided.

use std::borrow::Cow;

use csv::{QuoteStyle, Terminator, WriterBuilder};

use super::columns::{self, Column};
use crate::domain::Lang;
use crate::domain::publication::{List, Publication, PublishedItem};

const BOM: &[u8] = "\u{feff}".as_bytes();

/// The characters that make a spreadsheet read a field as a formula.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '\0'];

/// The field as it can be opened safely in a spreadsheet: a leading `'` before a character
/// that would start a formula, anything else untouched (and not copied).
pub fn neutralise(field: &str) -> Cow<'_, str> {
    if field.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// One list (`Some`), or every list in one file with a 清单 column first (`None`).
pub fn write(p: &Publication, list: Option<List>, lang: Lang) -> Vec<u8> {
    let result = match list {
        Some(list) => write_rows(columns::of(list), p.list(list), lang),
        None => write_rows(columns::COMBINED, p.items.iter(), lang),
    };
    match result {
        Ok(bytes) => bytes,
        // The sink is a Vec and every record has the header's length: nothing can fail.
        Err(e) => unreachable!("csv written into memory failed: {e}"),
    }
}

fn write_rows<'a>(
    cols: &[Column],
    items: impl Iterator<Item = &'a PublishedItem>,
    lang: Lang,
) -> csv::Result<Vec<u8>> {
    let mut out = csv_writer(Vec::with_capacity(64 * 1024));
    out.write_record(cols.iter().map(|c| c.header(lang)))?;
    for item in items {
        for col in cols {
            let text = (col.value)(item, lang).text(lang).unwrap_or_default();
            out.write_field(neutralise(&text).as_bytes())?;
        }
        out.write_record(None::<&[u8]>)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

fn csv_writer(mut sink: Vec<u8>) -> csv::Writer<Vec<u8>> {
    sink.extend_from_slice(BOM);
    WriterBuilder::new()
        .quote_style(QuoteStyle::Always)
        .terminator(Terminator::CRLF)
        .from_writer(sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralise_table() {
        let cases: &[(&str, &str)] = &[
            ("=1+1", "'=1+1"),
            ("+86 531 1234", "'+86 531 1234"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("\0x", "'\0x"),
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            // Harmless: the same slice back.
            ("", ""),
            ("道路运输经营许可证", "道路运输经营许可证"),
            ("1+1=2", "1+1=2"),
            (" =1", " =1"),
            ("＝1", "＝1"),
            ("'=1", "'=1"),
        ];
        for (input, want) in cases {
            let got = neutralise(input);
            assert_eq!(got, *want, "{input:?}");
            assert_eq!(
                matches!(got, Cow::Borrowed(_)),
                input == want,
                "copies only when it changes: {input:?}"
            );
        }
    }
}
