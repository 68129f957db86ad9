//! Raw reading: every visible sheet of a workbook as rows of non-empty cells with their
//! positions, handed to a [`Visitor`] one row at a time. An .xlsx sheet is streamed and never
//! held whole; .xls and .ods come from calamine's ranges (checked by the guard before they are
//! built); a .csv is decoded once and streamed through the csv reader.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, DataRef, Dimensions, ExcelDateTime, Reader, SheetType, SheetVisible};

use super::guard::{FileError, FileErrorCode, Format, Limits, Sniffed, TextEncoding};

/// A cell value as the importer needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    /// An error value such as `#N/A`.
    Error(String),
}

impl Value<'_> {
    /// The text as Excel would show it: integers without `.0`, dates as `2017-06-30`.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Value::Text(s) => Cow::Borrowed(s.as_ref()),
            Value::Number(n) => Cow::Owned(number_text(*n)),
            Value::Bool(true) => Cow::Borrowed("TRUE"),
            Value::Bool(false) => Cow::Borrowed("FALSE"),
            Value::Error(e) => Cow::Borrowed(e.as_str()),
        }
    }

    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Text(s) => Value::Text(Cow::Owned(s.into_owned())),
            Value::Number(n) => Value::Number(n),
            Value::Bool(b) => Value::Bool(b),
            Value::Error(e) => Value::Error(e),
        }
    }

    /// Blank text (spaces only, full-width ones included) counts as empty.
    pub fn is_blank(&self) -> bool {
        matches!(self, Value::Text(s) if s.trim().is_empty())
    }
}

/// A number as text: `12`, not `12.0`; `0.5` stays `0.5`.
pub fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn date_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        return number_text(dt.as_f64());
    }
    let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

/// One non-empty cell; `col` is 0-based.
#[derive(Debug, Clone, PartialEq)]
pub struct RawCell<'a> {
    pub col: u32,
    pub value: Value<'a>,
}

impl RawCell<'_> {
    pub fn into_owned(self) -> RawCell<'static> {
        RawCell {
            col: self.col,
            value: self.value.into_owned(),
        }
    }
}

/// Whether to go on with a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    SkipSheet,
}

/// Receives the rows of each sheet. `Send`: an .xlsx sheet's rows are visited on a second
/// thread while the first reads on.
pub trait Visitor: Send {
    /// A worksheet starts (`hidden` for hidden and very hidden ones); `SkipSheet` to leave it
    /// unread.
    fn begin_sheet(&mut self, name: &str, hidden: bool) -> Flow;
    /// One row (0-based index) with its non-empty cells in column order; `SkipSheet` stops the
    /// sheet.
    fn row(&mut self, row: u32, cells: &[RawCell<'_>]) -> Flow;
    /// The sheet is over. `merged` reads the merged areas of the sheet on demand (an .xlsx
    /// sheet is read again for them, so only ask when they matter).
    fn end_sheet(&mut self, merged: &mut dyn FnMut() -> Vec<Dimensions>);
}

/// Counts cells against the caps while rows are assembled.
struct Caps<'l> {
    limits: &'l Limits,
    cells: u64,
}

impl Caps<'_> {
    fn check(&mut self, sheet: &str, row: u32, col: u32) -> Result<(), FileError> {
        if u64::from(row) >= self.limits.sheet_rows() {
            return Err(FileError::over(
                FileErrorCode::TooManyRows,
                self.limits.max_rows.into(),
                u64::from(row) + 1,
            )
            .with_sheet(sheet));
        }
        if col >= self.limits.max_columns {
            return Err(FileError::over(
                FileErrorCode::TooManyColumns,
                self.limits.max_columns.into(),
                u64::from(col) + 1,
            )
            .with_sheet(sheet));
        }
        self.cells += 1;
        if self.cells > self.limits.max_cells {
            return Err(FileError::over(
                FileErrorCode::TooManyCells,
                self.limits.max_cells,
                self.cells,
            ));
        }
        Ok(())
    }
}

/// Reads every worksheet of a file that [`super::guard::sniff`] accepted.
pub fn visit(
    file_name: &str,
    bytes: &[u8],
    sniffed: &Sniffed,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<(), FileError> {
    let mut caps = Caps { limits, cells: 0 };
    // calamine's readers can panic on damaged files where the guard has not caught them first:
    // the cell-reference parser overflows (where overflow checks are on) on references such as
    // `A99999999999` (import_xlsx fuzz target), and the .xls reader slices its stream unchecked
    // at offsets the file gives (import_xls). A reader panic is a damaged file, not a dead parse
    // (and in the server the parse runs in a child process besides).
    let damaged = |what: &str| {
        let what = what.to_string();
        move |_| Err(FileError::corrupt(what))
    };
    match sniffed.format {
        Format::Xlsx | Format::Xlsm => {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                visit_xlsx(bytes, &mut caps, visitor)
            }))
            .unwrap_or_else(damaged("invalid cell reference"))
        }
        Format::Xls => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let workbook = calamine::Xls::new(Cursor::new(bytes)).map_err(xls_error)?;
            visit_ranges(workbook, &mut caps, visitor, |wb, name| {
                wb.merge_cells_by_sheet_name(name).unwrap_or_default()
            })
        }))
        .unwrap_or_else(damaged("damaged workbook structure")),
        Format::Ods => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let workbook = calamine::Ods::new(Cursor::new(bytes)).map_err(ods_error)?;
            // calamine keeps no merged areas for .ods; covered cells read as empty.
            visit_ranges(workbook, &mut caps, visitor, |_, _| Vec::new())
        }))
        .unwrap_or_else(damaged("damaged workbook structure")),
        Format::Csv => {
            let encoding = sniffed.encoding.unwrap_or(TextEncoding::Utf8);
            visit_csv(
                &sheet_name_of_file(file_name),
                &encoding.decode(bytes),
                &mut caps,
                visitor,
            )
        }
    }
}

/// The stem of a file name, used as the name of a .csv's only sheet.
pub fn sheet_name_of_file(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => base.to_string(),
    }
}

fn xlsx_error(e: calamine::XlsxError) -> FileError {
    match e {
        calamine::XlsxError::Password => FileError::new(FileErrorCode::Encrypted),
        calamine::XlsxError::Zip(_) | calamine::XlsxError::Io(_) => {
            FileError::new(FileErrorCode::Truncated)
        }
        other => FileError::corrupt(other),
    }
}

fn xls_error(e: calamine::XlsError) -> FileError {
    match e {
        calamine::XlsError::Password => FileError::new(FileErrorCode::Encrypted),
        calamine::XlsError::Io(_) => FileError::new(FileErrorCode::Truncated),
        other => FileError::corrupt(other),
    }
}

fn ods_error(e: calamine::OdsError) -> FileError {
    match e {
        calamine::OdsError::Password => FileError::new(FileErrorCode::Encrypted),
        calamine::OdsError::Zip(_) | calamine::OdsError::Io(_) => {
            FileError::new(FileErrorCode::Truncated)
        }
        other => FileError::corrupt(other),
    }
}

fn data_ref_value<'a>(data: &DataRef<'a>) -> Option<Value<'a>> {
    Some(match data {
        DataRef::Empty => return None,
        DataRef::SharedString(s) => Value::Text(Cow::Borrowed(*s)),
        DataRef::String(s) => Value::Text(Cow::Owned(s.clone())),
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(dt) => Value::Text(Cow::Owned(date_text(dt))),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Text(Cow::Owned(s.clone())),
        DataRef::Error(e) => Value::Error(e.to_string()),
    })
}

fn data_value(data: &Data) -> Option<Value<'_>> {
    Some(match data {
        Data::Empty => return None,
        Data::String(s) => Value::Text(Cow::Borrowed(s.as_str())),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => Value::Text(Cow::Owned(date_text(dt))),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Text(Cow::Borrowed(s.as_str())),
        Data::Error(e) => Value::Error(e.to_string()),
    })
}

/// The worksheets, in workbook order, with whether each is hidden; chart sheets left out.
fn worksheets(sheets: &[calamine::Sheet]) -> Vec<(String, bool)> {
    sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect()
}

/// Rows handed from the reading thread to the visiting thread: the cells of many rows in one
/// vector, with each row's index and where its cells end.
struct Batch<'a> {
    rows: Vec<(u32, usize)>,
    cells: Vec<RawCell<'a>>,
}

impl Batch<'_> {
    const ROWS: usize = 256;

    fn new() -> Self {
        Batch {
            rows: Vec::with_capacity(Self::ROWS),
            cells: Vec::with_capacity(Self::ROWS * 16),
        }
    }
}

fn visit_xlsx(
    bytes: &[u8],
    caps: &mut Caps<'_>,
    visitor: &mut dyn Visitor,
) -> Result<(), FileError> {
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    for (name, hidden) in worksheets(workbook.sheets_metadata()) {
        if visitor.begin_sheet(&name, hidden) == Flow::SkipSheet {
            continue;
        }
        {
            let cells = workbook.worksheet_cells_reader(&name).map_err(xlsx_error)?;
            stream_sheet(cells, &name, caps, visitor)?;
        }
        let mut merged = || {
            workbook
                .merge_cells_by_sheet_name(&name)
                .unwrap_or_default()
        };
        visitor.end_sheet(&mut merged);
    }
    Ok(())
}

/// Streams one .xlsx sheet to the visitor on two threads: this one decompresses and parses the
/// XML with calamine and assembles rows; a second one turns them into items. The two halves
/// take about as long as each other, so a large sheet is read in little more than calamine's
/// own time. Batches go over a bounded channel (memory stays a few batches) and come back
/// empty to be refilled, so rows cost no allocation. Cells borrow calamine's shared strings;
/// the scope keeps the reader alive until the visitor is done.
fn stream_sheet<'a>(
    mut cells: calamine::XlsxCellReader<'a, Cursor<&[u8]>>,
    name: &str,
    caps: &mut Caps<'_>,
    visitor: &mut dyn Visitor,
) -> Result<(), FileError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    let stopped = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch<'a>>(2);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch<'a>>();
        let stopped = &stopped;
        scope.spawn(move || {
            for mut batch in full_rx {
                if !stopped.load(Ordering::Relaxed) {
                    let mut from = 0;
                    for &(row, to) in &batch.rows {
                        if visitor.row(row, &batch.cells[from..to]) == Flow::SkipSheet {
                            stopped.store(true, Ordering::Relaxed);
                            break;
                        }
                        from = to;
                    }
                }
                batch.rows.clear();
                batch.cells.clear();
                // The reader may be gone already; the batch is then simply dropped.
                let _ = empty_tx.send(batch);
            }
        });

        let mut batch = Batch::new();
        let mut current: Option<u32> = None;
        let send = |batch: &mut Batch<'a>| -> bool {
            let next = empty_rx.try_recv().unwrap_or_else(|_| Batch::new());
            full_tx.send(std::mem::replace(batch, next)).is_ok()
        };
        while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
            let Some(value) = data_ref_value(cell.get_value()) else {
                continue;
            };
            let (r, c) = cell.get_position();
            caps.check(name, r, c)?;
            if current != Some(r) {
                if let Some(prev) = current {
                    batch.rows.push((prev, batch.cells.len()));
                    if batch.rows.len() >= Batch::ROWS
                        && (stopped.load(Ordering::Relaxed) || !send(&mut batch))
                    {
                        return Ok(());
                    }
                }
                current = Some(r);
            }
            batch.cells.push(RawCell { col: c, value });
        }
        if let Some(last) = current {
            batch.rows.push((last, batch.cells.len()));
        }
        if !batch.rows.is_empty() && !stopped.load(Ordering::Relaxed) {
            send(&mut batch);
        }
        Ok(())
    })
}

fn visit_ranges<RS, R>(
    mut workbook: R,
    caps: &mut Caps<'_>,
    visitor: &mut dyn Visitor,
    merged_of: fn(&mut R, &str) -> Vec<Dimensions>,
) -> Result<(), FileError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    FileError: From<R::Error>,
{
    for (name, hidden) in worksheets(workbook.sheets_metadata()) {
        if visitor.begin_sheet(&name, hidden) == Flow::SkipSheet {
            continue;
        }
        let range = workbook.worksheet_range(&name)?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut cells: Vec<RawCell<'_>> = Vec::with_capacity(32);
        for (i, data_row) in range.rows().enumerate() {
            cells.clear();
            let r = first_row + i as u32;
            for (j, data) in data_row.iter().enumerate() {
                if let Some(value) = data_value(data) {
                    let c = first_col + j as u32;
                    caps.check(&name, r, c)?;
                    cells.push(RawCell { col: c, value });
                }
            }
            if !cells.is_empty() && visitor.row(r, &cells) == Flow::SkipSheet {
                break;
            }
        }
        drop(cells);
        drop(range);
        let mut merged = || merged_of(&mut workbook, &name);
        visitor.end_sheet(&mut merged);
    }
    Ok(())
}

impl From<calamine::XlsError> for FileError {
    fn from(e: calamine::XlsError) -> FileError {
        xls_error(e)
    }
}

impl From<calamine::OdsError> for FileError {
    fn from(e: calamine::OdsError) -> FileError {
        ods_error(e)
    }
}

/// `,`, tab or `;`: whichever occurs most often outside quotes in the first lines.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for (lines, c) in text.chars().take(16_384).scan(0usize, |lines, c| {
        if c == '\n' {
            *lines += 1;
        }
        Some((*lines, c))
    }) {
        if lines >= 20 {
            break;
        }
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    [b',', b'\t', b';'][best]
}

fn visit_csv(
    sheet: &str,
    text: &str,
    caps: &mut Caps<'_>,
    visitor: &mut dyn Visitor,
) -> Result<(), FileError> {
    if visitor.begin_sheet(sheet, false) == Flow::SkipSheet {
        return Ok(());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut r = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(FileError::corrupt(e)),
        }
        let mut cells: Vec<RawCell<'_>> = Vec::with_capacity(record.len());
        for (c, field) in record.iter().enumerate() {
            if field.is_empty() {
                continue;
            }
            caps.check(sheet, r, c as u32)?;
            cells.push(RawCell {
                col: c as u32,
                value: Value::Text(Cow::Borrowed(field)),
            });
        }
        if !cells.is_empty() && visitor.row(r, &cells) == Flow::SkipSheet {
            break;
        }
        r += 1;
    }
    visitor.end_sheet(&mut Vec::new);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sheets::guard::sniff;

    /// The rows of one sheet as text: (row, [(column, text)]).
    pub type TextRows = Vec<(u32, Vec<(u32, String)>)>;

    /// Collects what the reader hands over, as text.
    #[derive(Default)]
    pub struct Collect {
        pub hidden: Vec<String>,
        pub sheets: Vec<(String, TextRows)>,
    }

    impl Visitor for Collect {
        fn begin_sheet(&mut self, name: &str, hidden: bool) -> Flow {
            if hidden {
                self.hidden.push(name.into());
                return Flow::SkipSheet;
            }
            self.sheets.push((name.into(), Vec::new()));
            Flow::Continue
        }
        fn row(&mut self, row: u32, cells: &[RawCell<'_>]) -> Flow {
            let cells = cells
                .iter()
                .map(|c| (c.col, c.value.text().into_owned()))
                .collect();
            if let Some(sheet) = self.sheets.last_mut() {
                sheet.1.push((row, cells));
            }
            Flow::Continue
        }
        fn end_sheet(&mut self, _merged: &mut dyn FnMut() -> Vec<Dimensions>) {}
    }

    pub fn collect(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Collect, FileError> {
        let sniffed = sniff(file_name, bytes, limits)?;
        let mut collect = Collect::default();
        visit(file_name, bytes, &sniffed, limits, &mut collect)?;
        Ok(collect)
    }

    fn xlsx_with(write: impl FnOnce(&mut rust_xlsxwriter::Workbook)) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        write(&mut workbook);
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn numbers_dates_and_hidden_sheets_from_xlsx() {
        let bytes = xlsx_with(|wb| {
            let sheet = wb.add_worksheet().set_name("年检事项").unwrap();
            sheet.write_string(0, 0, "事项名称").unwrap();
            sheet.write_number(1, 1, 12.0).unwrap();
            sheet.write_number(1, 2, 0.5).unwrap();
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2017, 6, 30).unwrap();
            let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
            sheet
                .write_datetime_with_format(2, 3, &date, &format)
                .unwrap();
            sheet.write_boolean(3, 0, true).unwrap();
            let hidden = wb.add_worksheet().set_name("代码表").unwrap();
            hidden.write_string(0, 0, "x").unwrap();
            hidden.set_hidden(true);
        });
        let got = collect("a.xlsx", &bytes, &Limits::default()).unwrap();
        assert_eq!(got.hidden, ["代码表"]);
        assert_eq!(got.sheets.len(), 1);
        let rows = &got.sheets[0].1;
        assert_eq!(rows[0], (0, vec![(0, "事项名称".into())]));
        assert_eq!(rows[1], (1, vec![(1, "12".into()), (2, "0.5".into())]));
        assert_eq!(rows[2], (2, vec![(3, "2017-06-30".into())]));
        assert_eq!(rows[3], (3, vec![(0, "TRUE".into())]));
    }

    #[test]
    fn a_cell_below_the_row_cap_is_refused_with_the_sheet_named() {
        let bytes = xlsx_with(|wb| {
            let sheet = wb.add_worksheet().set_name("年检事项").unwrap();
            sheet.write_string(0, 0, "事项名称").unwrap();
            sheet.write_string(150, 0, "far").unwrap(); // past 100 data rows + 30
        });
        let limits = Limits {
            max_rows: 100,
            ..Limits::default()
        };
        let e = collect("a.xlsx", &bytes, &limits).err().unwrap();
        assert_eq!(e.code, FileErrorCode::TooManyRows);
        assert_eq!(
            (e.limit, e.found, e.sheet.as_deref()),
            (Some(100), Some(151), Some("年检事项"))
        );
    }

    #[test]
    fn too_many_cells_in_all() {
        let bytes = xlsx_with(|wb| {
            let sheet = wb.add_worksheet();
            for r in 0..10 {
                for c in 0..10 {
                    sheet.write_number(r, c, 1.0).unwrap();
                }
            }
        });
        let limits = Limits {
            max_cells: 50,
            ..Limits::default()
        };
        let e = collect("a.xlsx", &bytes, &limits).err().unwrap();
        assert_eq!(e.code, FileErrorCode::TooManyCells);
    }

    #[test]
    fn csv_in_gbk_with_tabs_and_quotes() {
        let text = "标题\t\t\n事项名称\t实施部门\t检验周期\n\"道路运输\n年审\"\t交通厅\t12\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let got = collect("交通厅.csv", &gbk, &Limits::default()).unwrap();
        assert_eq!(got.sheets[0].0, "交通厅");
        let rows = &got.sheets[0].1;
        assert_eq!(rows[0], (0, vec![(0, "标题".into())]));
        assert_eq!(rows[2].1[0], (0, "道路运输\n年审".into()));
        assert_eq!(rows[2].1[2], (2, "12".into()));
    }

    #[test]
    fn csv_with_bom_and_semicolons() {
        let text = "\u{FEFF}事项名称;实施部门;检验周期\n甲;乙;丙\n";
        let got = collect("a.csv", text.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(got.sheets[0].1[0].1[0], (0, "事项名称".into()));
        assert_eq!(got.sheets[0].1[1].1[2], (2, "丙".into()));
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2,5\t3"), b'\t');
        assert_eq!(sniff_delimiter("a;b;c\n\"1,2\";2;3"), b';');
        assert_eq!(sniff_delimiter("只有一列"), b',');
    }

    #[test]
    fn numbers_as_people_read_them() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.25), "0.25");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }
}
