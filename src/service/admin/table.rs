//! Reading a plain list (regions, departments) from an .xlsx/.xls/.ods/.csv: the first sheet
//! with a header row that names the required columns, then one record per non-blank row.
//! Uses the import's reader (`crate::sheets`), so the same formats, encodings and size caps
//! apply.

use std::collections::HashMap;

use calamine::Dimensions;
use sha2::{Digest, Sha256};

use super::Refusal;
use crate::domain::Lang;
use crate::domain::text;
use crate::sheets::guard::{self, Limits};
use crate::sheets::read::{self, Flow, RawCell, Visitor};

/// One column a list may have: its key and the header texts that name it.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    /// Header texts, compared after cleaning, without spaces, case-insensitively.
    pub names: &'static [&'static str],
    pub required: bool,
}

/// One data row: the 1-based row number as the spreadsheet shows it, and its cells by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub row: u32,
    pub cells: HashMap<&'static str, String>,
}

impl Record {
    /// The cell of a column, `None` when blank or absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.cells
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
    }
}

/// The list read from a file.
#[derive(Debug, Clone)]
pub struct Table {
    pub file_name: String,
    pub sha256: String,
    pub sheet: String,
    pub records: Vec<Record>,
}

/// Rows searched for the header (title rows and notes may stand above it).
const HEADER_SEARCH_ROWS: u32 = 20;

fn header_key(s: &str) -> String {
    text::clean(s)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .flat_map(char::to_lowercase)
        .collect()
}

struct Reader<'c> {
    columns: &'c [Column],
    /// Once found: the sheet, and column index → key.
    header: Option<(String, HashMap<u32, &'static str>)>,
    done: bool,
    current_sheet: String,
    rows_seen: u32,
    records: Vec<Record>,
}

impl Reader<'_> {
    fn match_header(&self, cells: &[RawCell<'_>]) -> Option<HashMap<u32, &'static str>> {
        let mut map = HashMap::new();
        for cell in cells {
            let key = header_key(&cell.value.text());
            if let Some(column) = self
                .columns
                .iter()
                .find(|c| c.names.iter().any(|n| header_key(n) == key))
                && !map.values().any(|k| *k == column.key)
            {
                map.insert(cell.col, column.key);
            }
        }
        let all_required = self
            .columns
            .iter()
            .filter(|c| c.required)
            .all(|c| map.values().any(|k| *k == c.key));
        all_required.then_some(map)
    }
}

impl Visitor for Reader<'_> {
    fn begin_sheet(&mut self, name: &str, hidden: bool) -> Flow {
        if hidden || self.done {
            return Flow::SkipSheet;
        }
        self.current_sheet = name.to_string();
        self.rows_seen = 0;
        Flow::Continue
    }

    fn row(&mut self, row: u32, cells: &[RawCell<'_>]) -> Flow {
        match &self.header {
            None => {
                self.rows_seen += 1;
                if let Some(map) = self.match_header(cells) {
                    self.header = Some((self.current_sheet.clone(), map));
                } else if self.rows_seen >= HEADER_SEARCH_ROWS {
                    return Flow::SkipSheet;
                }
                Flow::Continue
            }
            Some((_, map)) => {
                let mut record = Record {
                    row: row + 1,
                    cells: HashMap::new(),
                };
                for cell in cells {
                    if let Some(key) = map.get(&cell.col) {
                        let value = text::clean(&cell.value.text());
                        if !value.is_empty() {
                            record.cells.insert(key, value);
                        }
                    }
                }
                if !record.cells.is_empty() {
                    self.records.push(record);
                }
                Flow::Continue
            }
        }
    }

    fn end_sheet(&mut self, _merged: &mut dyn FnMut() -> Vec<Dimensions>) {
        if self.header.is_some() {
            self.done = true;
        }
    }
}

/// What an import of a list (regions, departments) did, or on a dry run would do.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ListImportOutcome)]
pub struct ImportOutcome {
    pub file: String,
    pub sha256: String,
    pub sheet: String,
    /// Codes added, in the order they were added.
    pub created: Vec<String>,
    /// Rows identical to a record that exists: left as they are.
    pub unchanged: usize,
    pub dry_run: bool,
}

impl ImportOutcome {
    pub fn of(table: &Table, created: Vec<String>, unchanged: usize, dry_run: bool) -> Self {
        ImportOutcome {
            file: table.file_name.clone(),
            sha256: table.sha256.clone(),
            sheet: table.sheet.clone(),
            created,
            unchanged,
            dry_run,
        }
    }
}

/// Reads the list. Refused (with a message naming the expected columns) when the file cannot be
/// read or no sheet has the header.
pub fn read_table(
    file_name: &str,
    bytes: &[u8],
    columns: &[Column],
    limits: &Limits,
) -> Result<Table, Refusal> {
    let file_error = |e: guard::FileError| {
        Refusal::invalid(
            e.code.as_str(),
            Some("file"),
            e.message(Lang::Zh),
            e.message(Lang::En),
        )
    };
    let sniffed = guard::sniff(file_name, bytes, limits).map_err(file_error)?;
    let mut reader = Reader {
        columns,
        header: None,
        done: false,
        current_sheet: String::new(),
        rows_seen: 0,
        records: Vec::new(),
    };
    read::visit(file_name, bytes, &sniffed, limits, &mut reader).map_err(file_error)?;
    let Some((sheet, _)) = reader.header else {
        let expected: Vec<&str> = columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.names[0])
            .collect();
        let expected = expected.join("、");
        return Err(Refusal::invalid(
            "no_header",
            Some("file"),
            format!("文件中没有找到表头行：前 {HEADER_SEARCH_ROWS} 行中应有这些列：{expected}"),
            format!(
                "No header row found: the first {HEADER_SEARCH_ROWS} rows should name the columns {expected}"
            ),
        ));
    };
    Ok(Table {
        file_name: file_name.to_string(),
        sha256: hex::encode(Sha256::digest(bytes)),
        sheet,
        records: reader.records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            key: "code",
            names: &["代码", "区划代码"],
            required: true,
        },
        Column {
            key: "name",
            names: &["名称"],
            required: true,
        },
        Column {
            key: "parent",
            names: &["上级代码"],
            required: false,
        },
    ];

    #[test]
    fn a_csv_list_under_a_title_row() {
        // (The csv reader skips blank lines, so rows here are counted without them.)
        let csv = "行政区划表,,\n,,\n区划代码, 名称 ,上级代码\n370000,山东省,\n,,\n370100,济南市,370000\n";
        let t = read_table("r.csv", csv.as_bytes(), COLUMNS, &Limits::default()).unwrap();
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[0].row, 4);
        assert_eq!(t.records[0].get("code"), Some("370000"));
        assert_eq!(t.records[0].get("parent"), None);
        assert_eq!(t.records[1].row, 6);
        assert_eq!(t.records[1].get("parent"), Some("370000"));
        assert_eq!(t.sha256.len(), 64);
    }

    #[test]
    fn an_xlsx_list_with_numeric_codes() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        sheet.write_string(0, 0, "名称").unwrap();
        sheet.write_string(0, 1, "代码").unwrap();
        sheet.write_string(1, 0, "山东省").unwrap();
        sheet.write_number(1, 1, 370000.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let t = read_table("r.xlsx", &bytes, COLUMNS, &Limits::default()).unwrap();
        assert_eq!(t.records[0].get("code"), Some("370000"));
        assert_eq!(t.records[0].row, 2);
    }

    #[test]
    fn no_header_names_the_columns_it_wants() {
        let e = read_table(
            "r.csv",
            "a,b\n1,2\n".as_bytes(),
            COLUMNS,
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(e.code, "no_header");
        assert!(e.zh.contains("代码、名称"), "{}", e.zh);
        let e = read_table("r.xlsx", b"not a workbook", COLUMNS, &Limits::default()).unwrap_err();
        assert_eq!(e.field, Some("file"));
    }
}
