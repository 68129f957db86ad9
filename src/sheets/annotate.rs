//! The department's workbook returned with its problems marked: every value at the cell address
//! it had (formats need not survive, DESIGN.md §9), each bad cell filled red with a note holding
//! the message, and a first sheet 错误清单 listing every error.

use std::collections::HashMap;

use calamine::Dimensions;
use rust_xlsxwriter::{Color, Format, FormatBorder, Note, Workbook, Worksheet, XlsxError};

use super::guard::{self, FileError, Limits};
use super::read::{self, Flow, RawCell, Value, Visitor};
use super::report::{CellError, ImportReport, parse_a1};
use crate::domain::Lang;

/// The name of the sheet that lists the errors. The importer leaves a sheet of this name alone
/// when an annotated workbook comes back corrected.
pub const ERRORS_SHEET: &str = "错误清单";

#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// The original cannot be read (it should have been read once already for the report).
    #[error(transparent)]
    File(#[from] FileError),
    #[error("writing the annotated workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// Writes the annotated workbook of `original`, whose import gave `report`.
pub fn annotate(
    report: &ImportReport,
    original: &[u8],
    file_name: &str,
    lang: Lang,
) -> Result<Vec<u8>, AnnotateError> {
    let limits = Limits::default();
    let sniffed = guard::sniff(file_name, original, &limits)?;
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name(ERRORS_SHEET)?;
    let mut copy = Copy {
        lang,
        errors: &report.errors,
        marked: Format::new()
            .set_background_color(Color::RGB(0xFFC7CE))
            .set_font_color(Color::RGB(0x9C0006))
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::RGB(0xC00000)),
        sheet: None,
        sheets: Vec::new(),
        failure: None,
        names: Vec::new(),
    };
    read::visit(file_name, original, &sniffed, &limits, &mut copy)?;
    if let Some(e) = copy.failure.take() {
        return Err(e.into());
    }
    for sheet in copy.sheets.drain(..) {
        workbook.push_worksheet(sheet);
    }
    write_error_list(workbook.worksheet_from_index(0)?, report, &copy.names, lang)?;
    workbook.worksheet_from_index(0)?.set_active(true);
    Ok(workbook.save_to_buffer()?)
}

/// Copies the cells of each sheet and marks the cells with errors.
struct Copy<'r> {
    lang: Lang,
    errors: &'r [CellError],
    marked: Format,
    sheet: Option<SheetCopy<'r>>,
    sheets: Vec<Worksheet>,
    failure: Option<XlsxError>,
    /// (original name, name in the annotated workbook).
    names: Vec<(String, String)>,
}

struct SheetCopy<'r> {
    worksheet: Worksheet,
    /// Messages by 0-based (row, col).
    marks: HashMap<(u32, u32), Vec<&'r CellError>>,
}

/// A valid, unused sheet name for the copy of `name`.
fn sheet_name(name: &str, taken: &[(String, String)]) -> String {
    let base: String = name
        .chars()
        .map(|c| {
            if matches!(c, '*' | '?' | ':' | '[' | ']' | '\\' | '/') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let base = base.trim_matches('\'');
    let base: String = if base.is_empty() {
        "Sheet".into()
    } else {
        base.chars().take(28).collect()
    };
    let used = |n: &str| n == ERRORS_SHEET || taken.iter().any(|(_, t)| t == n);
    if !used(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}({i})"))
        .find(|n| !used(n))
        .unwrap_or(base)
}

impl Copy<'_> {
    fn write(&mut self, row: u32, cell: &RawCell<'_>) -> Result<(), XlsxError> {
        let Some(sheet) = &mut self.sheet else {
            return Ok(());
        };
        let (r, c) = (row, cell.col as u16);
        let ws = &mut sheet.worksheet;
        match &cell.value {
            Value::Text(t) => ws.write_string(r, c, t.as_ref())?,
            Value::Number(n) => ws.write_number(r, c, *n)?,
            Value::Bool(b) => ws.write_boolean(r, c, *b)?,
            Value::Error(e) => ws.write_string(r, c, e.as_str())?,
        };
        Ok(())
    }

    fn finish_sheet(&mut self) -> Result<(), XlsxError> {
        let Some(mut sheet) = self.sheet.take() else {
            return Ok(());
        };
        let author = self.lang.pick("系统检查", "nianjian");
        for ((row, col), errors) in &sheet.marks {
            let text: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            sheet
                .worksheet
                .set_cell_format(*row, *col as u16, &self.marked)?;
            let note = Note::new(text.join("\n"))
                .set_author(author)
                .add_author_prefix(false)
                .set_width(320)
                .set_height(120);
            sheet.worksheet.insert_note(*row, *col as u16, &note)?;
        }
        self.sheets.push(sheet.worksheet);
        Ok(())
    }
}

impl Visitor for Copy<'_> {
    fn begin_sheet(&mut self, name: &str, hidden: bool) -> Flow {
        if self.failure.is_some() || name == ERRORS_SHEET {
            // An old error list of a workbook that comes back corrected is out of date.
            return Flow::SkipSheet;
        }
        let copy_name = sheet_name(name, &self.names);
        let mut worksheet = Worksheet::new();
        if let Err(e) = worksheet.set_name(&copy_name) {
            self.failure = Some(e);
            return Flow::SkipSheet;
        }
        worksheet.set_hidden(hidden);
        let mut marks: HashMap<(u32, u32), Vec<&CellError>> = HashMap::new();
        for error in self.errors.iter().filter(|e| e.sheet == name) {
            if let Some(position) = error.cell.as_deref().and_then(parse_a1) {
                marks.entry(position).or_default().push(error);
            }
        }
        self.names.push((name.to_string(), copy_name));
        self.sheet = Some(SheetCopy { worksheet, marks });
        Flow::Continue
    }

    fn row(&mut self, row: u32, cells: &[RawCell<'_>]) -> Flow {
        for cell in cells {
            if let Err(e) = self.write(row, cell) {
                self.failure = Some(e);
                return Flow::SkipSheet;
            }
        }
        Flow::Continue
    }

    fn end_sheet(&mut self, _merged: &mut dyn FnMut() -> Vec<Dimensions>) {
        if let Err(e) = self.finish_sheet() {
            self.failure.get_or_insert(e);
        }
    }
}

fn write_error_list(
    ws: &mut Worksheet,
    report: &ImportReport,
    names: &[(String, String)],
    lang: Lang,
) -> Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();
    let headings: [&str; 5] = match lang {
        Lang::Zh => ["工作表", "单元格", "列", "问题", "代码"],
        Lang::En => ["Sheet", "Cell", "Column", "Problem", "Code"],
    };
    for (col, text) in headings.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *text, &header)?;
    }
    for (col, width) in [16.0, 10.0, 18.0, 80.0, 22.0].iter().enumerate() {
        ws.set_column_width(col as u16, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if report.errors.is_empty() {
        ws.write_string(
            1,
            0,
            lang.pick("没有发现需要修改的错误。", "No errors found."),
        )?;
        return Ok(());
    }
    for (i, error) in report.errors.iter().enumerate() {
        let row = i as u32 + 1;
        let sheet = names
            .iter()
            .find(|(original, _)| *original == error.sheet)
            .map_or(error.sheet.as_str(), |(_, copy)| copy.as_str());
        ws.write_string(row, 0, sheet)?;
        match (&error.cell, error.row) {
            (Some(cell), _) => ws.write_string(row, 1, cell)?,
            (None, Some(r)) => {
                let at = match lang {
                    Lang::Zh => format!("第{r}行"),
                    Lang::En => format!("row {r}"),
                };
                ws.write_string(row, 1, at)?
            }
            (None, None) => ws,
        };
        if let Some(column) = &error.column {
            ws.write_string(row, 2, column)?;
        }
        ws.write_string_with_format(row, 3, &error.message, &wrap)?;
        ws.write_string(row, 4, &error.code)?;
    }
    ws.autofilter(0, 0, report.errors.len() as u32, 4)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        let taken = vec![("a".to_string(), "年检事项".to_string())];
        assert_eq!(sheet_name("年检事项", &taken), "年检事项(2)");
        assert_eq!(sheet_name("a/b:c", &[]), "a_b_c");
        assert_eq!(sheet_name(ERRORS_SHEET, &[]), "错误清单(2)");
        assert_eq!(sheet_name("", &[]), "Sheet");
        assert!(sheet_name(&"长".repeat(40), &[]).chars().count() <= 31);
    }
}
