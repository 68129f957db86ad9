//! From rows to items: the header row found among the first rows, columns mapped by the spec,
//! one [`ItemDraft`] per row with an error for each cell that cannot be read or is missing, the
//! notes block under the table, merged cells filled down, and the findings of the review rules.

use std::borrow::Cow;
use std::collections::HashMap;

use calamine::Dimensions;

use super::guard::{FileError, FileErrorCode, Sniffed, TextEncoding};
use super::read::{Flow, RawCell, Value, Visitor};
use super::report::{CellError, ImportReport, Notice, ReportItem, SheetReport, Summary, parse_a1};
use super::spec::{self, Field, Values};
use super::template::column_letters;
use crate::domain::basis::{BasisError, parse_bases};
use crate::domain::cycle::{BareUnit, CycleError, parse_cycle};
use crate::domain::rules::evaluate_file;
use crate::domain::text::{clean, clean_opt, parse_number, parse_yes_no};
use crate::domain::{Disposition, ItemDraft, Kind, Lang, LegalBasis, TiedTo};

/// Rows searched for the header row.
pub const HEADER_SCAN_ROWS: u32 = 30;

/// Sheets up to this many item rows always have their merged areas read so merged cells fill the
/// rows they cover; bigger sheets only when a required cell is empty (an .xlsx sheet must be
/// read a second time for them).
const ALWAYS_MERGE_ROWS: u32 = 5_000;

/// Items handed on at a time when a reader streams them (see [`Streamed`]).
const STREAM_ITEMS: usize = 2_048;

/// What a streaming read hands on while it reads: items that are final, or word that items
/// handed on before may still change (merged cells of a big sheet fill required cells found
/// empty, and the sheet's merged areas are only known at its end) — the items then come whole
/// in the report, and none are streamed any more.
pub enum Streamed<'a> {
    Items(&'a [ReportItem]),
    Reset,
}

/// Distinct texts remembered per parsed column; the low-cardinality columns (cycles,
/// dispositions, yes/no, levels) repeat a handful of texts over thousands of rows.
const CACHE_ENTRIES: usize = 4_096;

/// Fields read row by row, in this order; 依据层级 is read with 设定依据.
const ROW_FIELDS: [Field; 18] = [
    Field::Name,
    Field::Department,
    Field::TiedTo,
    Field::Licence,
    Field::LicenceCode,
    Field::Target,
    Field::Cycle,
    Field::AnnualReport,
    Field::Hours,
    Field::Fee,
    Field::FeeBasis,
    Field::Provider,
    Field::ProviderDesignated,
    Field::Proposed,
    Field::ProposedCycle,
    Field::Reason,
    Field::Remarks,
    Field::Bases,
];

/// How a notes block under the table starts; such a row without an item name ends the table.
const NOTES_STARTS: &[&str] = &[
    "填表说明",
    "填报说明",
    "说明：",
    "说明:",
    "注：",
    "注:",
    "备注：",
    "备注:",
    "附注",
    "填表人",
    "填报人",
    "制表人",
    "审核人",
    "联系人：",
    "联系人:",
    "联系电话",
];

/// Sheet names of pages that are not data: without a header they get a notice, not an error.
const NOTES_SHEET_WORDS: &[&str] = &[
    "说明",
    "封面",
    "目录",
    "代码",
    "字典",
    "下拉",
    "选项",
    "错误清单",
    "问题清单",
    "instruction",
    "readme",
];

/// A column of the file mapped to a field.
#[derive(Debug, Clone)]
struct Column {
    col: u32,
    /// The header as it stands in the file.
    header: String,
    /// The header for messages, without the `*` of required columns.
    label: String,
    /// For cycle columns: the unit of bare numbers the header names.
    unit: Option<BareUnit>,
}

#[derive(Debug)]
struct Layout {
    /// 0-based.
    header_row: u32,
    /// 0-based first row that may hold an item.
    data_from: u32,
    kind: Option<Kind>,
    columns: [Option<Column>; Field::COUNT],
    by_col: Vec<Option<Field>>,
}

impl Layout {
    fn column(&self, field: Field) -> Option<&Column> {
        self.columns[field as usize].as_ref()
    }
}

enum Phase {
    /// Collecting the first rows to find the header among them.
    Scanning(Vec<(u32, Vec<RawCell<'static>>)>),
    Reading(Box<Layout>),
    /// No header, or the notes block was reached.
    Done,
}

/// A required cell found empty, which a merged cell above may still fill.
struct Pending {
    error: usize,
    item: usize,
    field: Field,
    row: u32,
    col: u32,
}

struct SheetMeta {
    name: String,
    first_item: usize,
    first_error: usize,
    had_cells: bool,
    /// 0-based header row, once found.
    header: Option<u32>,
    pending: Vec<Pending>,
    missing_reported: [bool; Field::COUNT],
}

struct SheetState {
    meta: SheetMeta,
    phase: Phase,
}

/// Parsed values of the repetitive columns, by their raw text.
#[derive(Default)]
struct Caches {
    cycles: [HashMap<String, Result<Option<u32>, CycleError>>; 3],
    yes_no: HashMap<String, Option<bool>>,
    dispositions: HashMap<String, Option<Disposition>>,
    tied: HashMap<String, Option<TiedTo>>,
    kinds: HashMap<String, Option<Kind>>,
    bases: HashMap<String, Result<Vec<LegalBasis>, BasisError>>,
}

fn memo<V: Clone>(map: &mut HashMap<String, V>, key: &str, compute: impl FnOnce() -> V) -> V {
    if let Some(v) = map.get(key) {
        return v.clone();
    }
    let v = compute();
    if map.len() < CACHE_ENTRIES {
        map.insert(key.to_string(), v.clone());
    }
    v
}

fn unit_slot(unit: Option<BareUnit>) -> usize {
    match unit {
        None => 0,
        Some(BareUnit::Months) => 1,
        Some(BareUnit::Years) => 2,
    }
}

/// [`clean`] without the work when the text is already clean: printable ASCII, CJK ideographs
/// and the CJK punctuation NFKC leaves as it is, with single inner spaces.
pub fn cleaned(text: &str) -> Cow<'_, str> {
    if is_clean(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(clean(text))
    }
}

/// [`clean_opt`] with the same shortcut: a clean text with an ideograph is no placeholder.
pub fn cleaned_opt(text: &str) -> Option<String> {
    if is_clean(text) && text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
        Some(text.to_string())
    } else {
        clean_opt(text)
    }
}

fn is_clean(s: &str) -> bool {
    if s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    let mut space = false;
    for c in s.chars() {
        let ok = match c {
            ' ' if space => return false,
            ' ' => {
                space = true;
                continue;
            }
            '!'..='~'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{3001}'
            | '\u{3002}'
            | '\u{3008}'..='\u{3011}'
            | '\u{3014}'
            | '\u{3015}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201C}'
            | '\u{201D}'
            | '\u{00B7}'
            | '\u{2014}' => true,
            _ => false,
        };
        if !ok {
            return false;
        }
        space = false;
    }
    true
}

/// A cell problem before it gets its place.
struct Problem {
    code: String,
    message: String,
}

/// Builds the report while the reader hands over rows.
pub(crate) struct Import<'s> {
    lang: Lang,
    report: ImportReport,
    caches: Caches,
    sheet: Option<SheetState>,
    any_header: bool,
    /// Where final items go as they are read, if anywhere.
    sink: Option<&'s mut (dyn FnMut(Streamed<'_>) + Send)>,
    /// Items handed to the sink so far, and let go of: `report.items` holds the items after
    /// them (item positions count from the file's first item all the same).
    streamed: usize,
    /// What the items let go of add to the summary.
    streamed_counts: Summary,
    /// The sink was told to forget what it had; the items streamed are gone from the report
    /// too, so the file must be read again ([`Import::was_reset`]).
    reset: bool,
}

impl<'s> Import<'s> {
    pub(crate) fn new(
        file_name: &str,
        sha256: String,
        sniffed: &Sniffed,
        lang: Lang,
        sink: Option<&'s mut (dyn FnMut(Streamed<'_>) + Send)>,
    ) -> Import<'s> {
        let mut report = ImportReport {
            file: file_name.to_string(),
            sha256,
            format: sniffed.format,
            sheets: Vec::new(),
            items: Vec::new(),
            errors: Vec::new(),
            notices: Vec::new(),
            summary: Summary::default(),
        };
        if let Some(ext) = &sniffed.extension_mismatch {
            let format = sniffed.format.as_str();
            let shown = if ext.is_empty() {
                "（无）".to_string()
            } else {
                format!(".{ext}")
            };
            report.notices.push(Notice {
                code: "extension_mismatch".into(),
                sheet: None,
                column: None,
                message: lang
                    .pick(
                        &format!("文件扩展名为 {shown}，但内容是 .{format} 格式，已按 .{format} 读取。"),
                        &format!("The file name ends in {shown} but the content is .{format}; it was read as .{format}."),
                    )
                    .to_string(),
            });
        }
        if let Some(encoding) = sniffed.encoding.filter(|e| *e != TextEncoding::Utf8) {
            let name = encoding.as_str();
            report.notices.push(Notice {
                code: "encoding".into(),
                sheet: None,
                column: None,
                message: lang
                    .pick(
                        &format!("CSV 文件按 {name} 编码读取。"),
                        &format!("The CSV file was read as {name}."),
                    )
                    .to_string(),
            });
        }
        Import {
            lang,
            report,
            caches: Caches::default(),
            sheet: None,
            any_header: false,
            sink,
            streamed: 0,
            streamed_counts: Summary::default(),
            reset: false,
        }
    }

    /// The position the next item read will have in the file.
    fn next_item(&self) -> usize {
        self.streamed + self.report.items.len()
    }

    /// The items from position `first` on that the report still holds.
    fn items_from(&mut self, first: usize) -> &mut [ReportItem] {
        let from = first.saturating_sub(self.streamed);
        &mut self.report.items[from..]
    }

    /// The read handed items on and then had to take them back (a reset): its report lacks
    /// them, and the file must be read again without streaming.
    pub(crate) fn was_reset(&self) -> bool {
        self.reset
    }

    /// Hands on the sheet's items read so far once no merged cell can change them any more: the
    /// sheet is past [`ALWAYS_MERGE_ROWS`] and no required cell is waiting for a merged one.
    fn stream_ready(&mut self, meta: &SheetMeta) {
        if self.sink.is_none() || self.reset {
            return;
        }
        if !meta.pending.is_empty() {
            if self.streamed > meta.first_item {
                self.reset = true;
                if let Some(sink) = self.sink.as_mut() {
                    sink(Streamed::Reset);
                }
            }
            return;
        }
        let in_sheet = self.next_item() - meta.first_item;
        if in_sheet > ALWAYS_MERGE_ROWS as usize && self.report.items.len() >= STREAM_ITEMS {
            self.stream_rest(true);
        }
    }

    /// Hands on the items not handed on yet (`evaluate`: their findings computed first).
    fn stream_rest(&mut self, evaluate: bool) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if self.reset || self.report.items.is_empty() {
            return;
        }
        let lang = self.lang;
        let rest = &mut self.report.items;
        if evaluate {
            for item in rest.iter_mut() {
                item.findings = evaluate_file(&item.draft, lang);
            }
        }
        for chunk in rest.chunks(STREAM_ITEMS) {
            sink(Streamed::Items(chunk));
        }
        // Nothing read later changes them (but a reset, after which the file is read again):
        // let go of them here, so the memory is used again for the next ones rather than the
        // process growing by a 100,000-row file's worth of items.
        self.streamed_counts.count(rest);
        self.streamed += rest.len();
        rest.clear();
    }

    /// The report, or `no_header` when no sheet had a header row.
    pub(crate) fn finish(mut self) -> Result<ImportReport, FileError> {
        if !self.any_header {
            return Err(FileError::new(FileErrorCode::NoHeader));
        }
        self.report.summarise(self.streamed_counts);
        Ok(self.report)
    }

    fn notice(
        &mut self,
        code: &str,
        sheet: Option<&str>,
        column: Option<&str>,
        zh: String,
        en: String,
    ) {
        self.report.notices.push(Notice {
            code: code.into(),
            sheet: sheet.map(str::to_string),
            column: column.map(str::to_string),
            message: if self.lang == Lang::Zh { zh } else { en },
        });
    }

    /// Finds the header among the collected rows, then reads the rows below it. `SkipSheet`
    /// when the notes block came among them.
    fn decide_header(&mut self, state: &mut SheetState) -> Flow {
        let Phase::Scanning(rows) = std::mem::replace(&mut state.phase, Phase::Done) else {
            return Flow::Continue;
        };
        let Some(at) = find_header(&rows) else {
            return Flow::SkipSheet;
        };
        let layout = self.layout(&state.meta.name, &rows, at);
        state.meta.header = Some(layout.header_row);
        self.any_header = true;
        self.report.sheets.push(SheetReport {
            name: state.meta.name.clone(),
            kind: layout.kind,
            header_row: layout.header_row + 1,
            rows: 0,
        });
        let mut flow = Flow::Continue;
        for (r, cells) in rows.iter().skip(at + 1) {
            if *r >= layout.data_from
                && self.read_row(&mut state.meta, &layout, *r, cells) == Flow::SkipSheet
            {
                flow = Flow::SkipSheet;
                break;
            }
        }
        state.phase = Phase::Reading(Box::new(layout));
        flow
    }

    /// Maps the header row (and a sub-header row right under it) to fields.
    fn layout(&mut self, sheet: &str, rows: &[(u32, Vec<RawCell<'static>>)], at: usize) -> Layout {
        let (header_row, header_cells) = &rows[at];
        let mut columns: [Option<Column>; Field::COUNT] = Default::default();
        for cell in header_cells {
            if !cell.value.is_blank() {
                self.claim(&mut columns, sheet, cell.col, &cell.value.text());
            }
        }
        // A second header row under a merged group header (设定依据 over 法律依据 | 依据层级).
        let mut data_from = header_row + 1;
        if let Some((next_row, next_cells)) = rows.get(at + 1) {
            let cells: Vec<&RawCell<'_>> =
                next_cells.iter().filter(|c| !c.value.is_blank()).collect();
            let fields: Vec<Option<Field>> = cells
                .iter()
                .map(|c| match &c.value {
                    Value::Text(t) => spec::match_header(t),
                    _ => None,
                })
                .collect();
            let all_headers = !fields.is_empty() && fields.iter().all(Option::is_some);
            let adds = fields
                .iter()
                .flatten()
                .any(|f| columns[*f as usize].is_none());
            if *next_row == header_row + 1 && all_headers && adds {
                for (cell, field) in cells.iter().zip(&fields) {
                    if field.is_some_and(|f| columns[f as usize].is_none()) {
                        self.claim(&mut columns, sheet, cell.col, &cell.value.text());
                    }
                }
                data_from = header_row + 2;
            }
        }
        let width = columns
            .iter()
            .flatten()
            .map(|c| c.col as usize + 1)
            .max()
            .unwrap_or(0);
        let mut by_col = vec![None; width];
        for (column, spec) in columns.iter().zip(&spec::COLUMNS) {
            if let Some(c) = column {
                by_col[c.col as usize] = Some(spec.field);
            }
        }
        let kind = sheet_kind(sheet, &columns);
        Layout {
            header_row: *header_row,
            data_from,
            kind,
            columns,
            by_col,
        }
    }

    /// Maps one header cell, or notes it as unknown or as a second column of the same field.
    fn claim(
        &mut self,
        columns: &mut [Option<Column>; Field::COUNT],
        sheet: &str,
        col: u32,
        text: &str,
    ) {
        let header = text.trim();
        let letters = column_letters(col);
        let Some(field) = spec::match_header(text) else {
            self.notice(
                "unknown_column",
                Some(sheet),
                Some(header),
                format!("工作表“{sheet}”的“{header}”列（{letters} 列）不是模板中的列，已忽略。"),
                format!("In sheet “{sheet}”, column “{header}” ({letters}) is not a template column and was ignored."),
            );
            return;
        };
        if let Some(first) = &columns[field as usize] {
            let (first_header, first_letters) = (first.header.clone(), column_letters(first.col));
            self.notice(
                "duplicate_column",
                Some(sheet),
                Some(header),
                format!("工作表“{sheet}”的“{header}”列（{letters} 列）与“{first_header}”列（{first_letters} 列）含义相同，只读取了“{first_header}”列。"),
                format!("In sheet “{sheet}”, column “{header}” ({letters}) means the same as “{first_header}” ({first_letters}); only “{first_header}” was read."),
            );
            return;
        }
        let unit = matches!(field, Field::Cycle | Field::ProposedCycle)
            .then(|| BareUnit::from_header(text))
            .flatten();
        let label = header.trim_end_matches(['*', '＊']).trim_end().to_string();
        columns[field as usize] = Some(Column {
            col,
            header: header.to_string(),
            label,
            unit,
        });
    }

    fn push_error(
        &mut self,
        meta: &SheetMeta,
        row: u32,
        col: Option<&Column>,
        problem: Problem,
    ) -> usize {
        self.report.errors.push(CellError {
            sheet: meta.name.clone(),
            cell: col.map(|c| format!("{}{}", column_letters(c.col), row + 1)),
            row: Some(row + 1),
            column: col.map(|c| c.header.clone()),
            code: problem.code,
            message: problem.message,
        });
        self.report.errors.len() - 1
    }

    /// One row under the header. `SkipSheet` when the notes block begins.
    fn read_row(
        &mut self,
        meta: &mut SheetMeta,
        layout: &Layout,
        r: u32,
        cells: &[RawCell<'_>],
    ) -> Flow {
        let mut slots: [Option<&Value<'_>>; Field::COUNT] = [None; Field::COUNT];
        let mut first: Option<&RawCell<'_>> = None;
        let mut any = false;
        for cell in cells {
            if cell.value.is_blank() {
                continue;
            }
            first.get_or_insert(cell);
            if let Some(Some(field)) = layout.by_col.get(cell.col as usize) {
                slots[*field as usize] = Some(&cell.value);
                any |= *field != Field::Serial;
            }
        }
        let Some(first) = first else {
            return Flow::Continue;
        };
        let name_col = layout.column(Field::Name).map(|c| c.col);
        if (slots[Field::Name as usize].is_none() || name_col == Some(first.col))
            && is_notes(&first.value)
        {
            return Flow::SkipSheet;
        }
        if !any {
            return Flow::Continue;
        }
        if let Some(name) = slots[Field::Name as usize]
            && matches!(name.text().trim(), "合计" | "总计" | "小计" | "合  计")
        {
            return Flow::Continue;
        }
        self.build_item(meta, layout, r, &slots);
        Flow::Continue
    }

    fn build_item(
        &mut self,
        meta: &mut SheetMeta,
        layout: &Layout,
        r: u32,
        slots: &[Option<&Value<'_>>; Field::COUNT],
    ) {
        let lang = self.lang;
        let item = self.next_item();
        let mut draft = ItemDraft::default();

        // The kind first: it decides what is required.
        let kind_column = layout.column(Field::Kind);
        match slots[Field::Kind as usize] {
            Some(Value::Error(e)) => {
                self.push_error(meta, r, kind_column, formula_error(e, lang));
            }
            Some(value) => {
                let text = value.text();
                match memo(&mut self.caches.kinds, &text, || spec::parse_kind(&text)) {
                    Some(kind) => draft.kind = Some(kind),
                    None => {
                        let shown = cleaned(&text);
                        let values = list_of(Values::Kind, lang);
                        let problem = Problem {
                            code: "kind_unknown".into(),
                            message: pick(
                                lang,
                                format!("无法识别事项类型“{shown}”，请填写：{values}。"),
                                format!("Cannot read the kind “{shown}”: write one of {values}."),
                            ),
                        };
                        self.push_error(meta, r, kind_column, problem);
                    }
                }
            }
            None => draft.kind = layout.kind,
        }
        if draft.kind.is_none() && slots[Field::Kind as usize].is_none() {
            let at = kind_column.or(layout.column(Field::Name));
            let problem = Problem {
                code: "kind_missing".into(),
                message: pick(
                    lang,
                    "无法判断这一行是年检还是指定培训：请在“事项类型”列填写“年检”或“指定培训”，或把工作表命名为“年检事项”或“指定培训”。".into(),
                    "Cannot tell whether this row is an annual inspection or a designated training: write 年检 or 指定培训 in a 事项类型 column, or name the sheet 年检事项 or 指定培训.".into(),
                ),
            };
            self.push_error(meta, r, at, problem);
        }
        let kind = draft.kind;

        for field in ROW_FIELDS {
            let skip = match kind {
                Some(Kind::Training) => matches!(field, Field::Cycle | Field::ProposedCycle),
                _ => false,
            };
            if skip {
                continue;
            }
            let column = layout.column(field);
            let value = slots[field as usize];
            let problem = match value {
                Some(Value::Error(e)) => Some(formula_error(e, lang)),
                Some(value) => {
                    let levels = slots[Field::Levels as usize];
                    self.apply(&mut draft, field, value, column, levels)
                }
                None if field == Field::Bases => {
                    slots[Field::Levels as usize].filter(|v| !matches!(v, Value::Error(_))).map(|levels| {
                        let shown = cleaned_opt(&levels.text()).unwrap_or_default();
                        Problem {
                            code: "levels_without_bases".into(),
                            message: pick(
                                lang,
                                format!("填了依据层级“{shown}”，但设定依据是空的：请填写设定依据，或清空依据层级。"),
                                format!("依据层级 says “{shown}” but 设定依据 is empty: fill in the bases or clear the levels."),
                            ),
                        }
                    })
                }
                None => None,
            };
            if let Some(problem) = problem {
                // A levels problem belongs to the levels cell when there is one.
                let at = if field == Field::Bases
                    && (value.is_none() || problem.code.contains("level"))
                    && slots[Field::Levels as usize].is_some()
                {
                    layout.column(Field::Levels)
                } else {
                    column
                };
                self.push_error(meta, r, at, problem);
                continue;
            }
            let required = spec::COLUMNS[field as usize]
                .required_for
                .iter()
                .any(|k| Some(*k) == kind)
                || (kind.is_none()
                    && spec::COLUMNS[field as usize].required_for.len() == Kind::ALL.len());
            if required && is_empty(&draft, field) {
                match column {
                    Some(column) => {
                        let problem = required_problem(field, column, lang);
                        let error = self.push_error(meta, r, Some(column), problem);
                        meta.pending.push(Pending {
                            error,
                            item,
                            field,
                            row: r,
                            col: column.col,
                        });
                    }
                    None if !meta.missing_reported[field as usize] => {
                        meta.missing_reported[field as usize] = true;
                        let name = spec::COLUMNS[field as usize].display_name(kind);
                        self.report.errors.push(CellError {
                            sheet: meta.name.clone(),
                            cell: None,
                            row: Some(layout.header_row + 1),
                            column: Some(name.to_string()),
                            code: "missing_column".into(),
                            message: pick(
                                lang,
                                format!("工作表“{}”缺少必填列“{name}”，请按模板在表头中补上这一列。", meta.name),
                                format!("Sheet “{}” has no “{name}” column, which is required; add it to the header as in the template.", meta.name),
                            ),
                        });
                    }
                    None => {}
                }
            }
        }

        self.report.items.push(ReportItem {
            sheet: meta.name.clone(),
            row: r + 1,
            draft,
            findings: Vec::new(),
        });
    }

    /// Reads one cell into the draft; a problem when its text cannot be read.
    fn apply(
        &mut self,
        draft: &mut ItemDraft,
        field: Field,
        value: &Value<'_>,
        column: Option<&Column>,
        levels: Option<&Value<'_>>,
    ) -> Option<Problem> {
        let lang = self.lang;
        let header = column.map_or("", |c| c.label.as_str());
        let text = value.text();
        let unknown = |code: &str, values: Values| {
            let shown = cleaned(&text);
            let list = list_of(values, lang);
            Some(Problem {
                code: code.into(),
                message: pick(
                    lang,
                    format!("无法识别“{header}”中的“{shown}”，请填写：{list}。"),
                    format!("Cannot read “{shown}” in “{header}”: write one of {list}."),
                ),
            })
        };
        match field {
            Field::Name => draft.name = cleaned_opt(&text).unwrap_or_default(),
            Field::Department => draft.department = cleaned_opt(&text).unwrap_or_default(),
            Field::Licence => draft.licence = cleaned_opt(&text),
            Field::LicenceCode => draft.licence_code = cleaned_opt(&text),
            Field::Target => draft.target = cleaned_opt(&text),
            Field::Reason => draft.reason = cleaned_opt(&text),
            Field::Remarks => draft.remarks = cleaned_opt(&text),
            Field::Fee => draft.fee = cleaned_opt(&text),
            Field::FeeBasis => draft.fee_basis = cleaned_opt(&text),
            Field::Provider => draft.provider = cleaned_opt(&text),
            Field::Cycle | Field::ProposedCycle => {
                let unit = column.and_then(|c| c.unit);
                let parsed = memo(&mut self.caches.cycles[unit_slot(unit)], &text, || {
                    parse_cycle(&text, unit)
                });
                match parsed {
                    Ok(months) if field == Field::Cycle => {
                        draft.cycle_months = months;
                        draft.cycle_text = cleaned_opt(&text);
                    }
                    Ok(months) => draft.proposed_cycle_months = months,
                    Err(e) => {
                        let message = e.message(lang);
                        return Some(Problem {
                            code: e.code.to_string(),
                            message: if field == Field::ProposedCycle {
                                format!("{header}：{message}")
                            } else {
                                message
                            },
                        });
                    }
                }
            }
            Field::AnnualReport | Field::ProviderDesignated => {
                let answer = match value {
                    Value::Bool(b) => Some(*b),
                    _ => memo(&mut self.caches.yes_no, &text, || parse_yes_no(&text)),
                };
                let Some(answer) = answer else {
                    let shown = cleaned(&text);
                    return Some(Problem {
                        code: "yes_no_unreadable".into(),
                        message: pick(
                            lang,
                            format!("“{header}”应填“是”或“否”，无法识别“{shown}”。"),
                            format!("“{header}” takes 是 (yes) or 否 (no); cannot read “{shown}”."),
                        ),
                    });
                };
                if field == Field::AnnualReport {
                    draft.annual_report = Some(answer);
                } else {
                    draft.provider_designated = Some(answer);
                }
            }
            Field::Hours => {
                let hours = match value {
                    Value::Number(n) => Some(*n),
                    _ => parse_number(&text),
                };
                match hours {
                    Some(h) if h >= 0.0 => draft.hours = Some(h),
                    _ => {
                        let shown = cleaned(&text);
                        return Some(Problem {
                            code: "number_unreadable".into(),
                            message: pick(
                                lang,
                                format!("“{header}”应填数字，无法识别“{shown}”。"),
                                format!("“{header}” takes a number; cannot read “{shown}”."),
                            ),
                        });
                    }
                }
            }
            Field::Proposed => {
                match memo(&mut self.caches.dispositions, &text, || {
                    spec::parse_disposition(&text)
                }) {
                    Some(d) => draft.proposed = Some(d),
                    None => return unknown("disposition_unknown", Values::Disposition),
                }
            }
            Field::TiedTo => {
                match memo(&mut self.caches.tied, &text, || spec::parse_tied_to(&text)) {
                    Some(t) => draft.tied_to = Some(t),
                    None => return unknown("tied_to_unknown", Values::TiedTo),
                }
            }
            Field::Bases => {
                let levels_text = levels
                    .filter(|v| !matches!(v, Value::Error(_)))
                    .map(|v| v.text());
                let key = match &levels_text {
                    Some(l) => format!("{text}\u{0}{l}"),
                    None => text.to_string(),
                };
                let parsed = memo(&mut self.caches.bases, &key, || {
                    parse_bases(&text, levels_text.as_deref())
                });
                match parsed {
                    Ok(bases) => draft.legal_bases = bases,
                    Err(e) => {
                        return Some(Problem {
                            code: e.code.to_string(),
                            message: e.message(lang),
                        });
                    }
                }
            }
            Field::Serial | Field::Kind | Field::Levels => {}
        }
        None
    }

    /// Merged cells over item rows fill the rows they cover; required cells so filled are no
    /// longer errors.
    fn fill_merged(&mut self, meta: &mut SheetMeta, layout: &Layout, regions: &[Dimensions]) {
        let first = meta.first_item;
        let mut resolved: Vec<usize> = Vec::new();
        let mut filled = 0usize;
        for region in regions {
            let ((r0, c0), (r1, _)) = (region.start, region.end);
            if r1 <= r0 || r0 < layout.data_from {
                continue;
            }
            let Some(Some(field)) = layout.by_col.get(c0 as usize).copied() else {
                continue;
            };
            if matches!(field, Field::Serial | Field::Levels) {
                continue;
            }
            let items = self.items_from(first);
            let Ok(source) = items.binary_search_by_key(&(r0 + 1), |i| i.row) else {
                continue;
            };
            let source = items[source].draft.clone();
            if is_empty(&source, field) {
                continue;
            }
            for row in r0 + 1..=r1 {
                let items = self.items_from(first);
                let Ok(i) = items.binary_search_by_key(&(row + 1), |i| i.row) else {
                    continue;
                };
                if is_empty(&items[i].draft, field) {
                    copy_field(&source, &mut items[i].draft, field);
                    filled += 1;
                }
                for p in &meta.pending {
                    if p.row == row && p.col == c0 && p.item == first + i && p.field == field {
                        resolved.push(p.error);
                    }
                }
            }
        }
        if !resolved.is_empty() {
            resolved.sort_unstable();
            let mut index = 0usize;
            self.report.errors.retain(|_| {
                let keep = resolved.binary_search(&index).is_err();
                index += 1;
                keep
            });
        }
        if filled > 0 {
            let sheet = meta.name.clone();
            self.notice(
                "merged_cells",
                Some(&sheet),
                None,
                format!("工作表“{sheet}”中有合并单元格，其内容已用于所覆盖的 {filled} 个单元格。建议取消合并，逐行填写。"),
                format!("Sheet “{sheet}” has merged cells; their values were used for the {filled} cells they cover. Unmerging them and filling every row is safer."),
            );
        }
    }

    fn row_of(&mut self, state: &mut SheetState, row: u32, cells: &[RawCell<'_>]) -> Flow {
        if let Phase::Scanning(rows) = &mut state.phase {
            if row < HEADER_SCAN_ROWS {
                rows.push((
                    row,
                    cells.iter().cloned().map(RawCell::into_owned).collect(),
                ));
                return Flow::Continue;
            }
            if self.decide_header(state) == Flow::SkipSheet {
                return Flow::SkipSheet;
            }
        }
        match &state.phase {
            Phase::Reading(layout) => self.read_row(&mut state.meta, layout, row, cells),
            _ => Flow::SkipSheet,
        }
    }

    fn end_of_sheet(&mut self, mut state: SheetState, merged: &mut dyn FnMut() -> Vec<Dimensions>) {
        if matches!(state.phase, Phase::Scanning(_)) {
            self.decide_header(&mut state);
        }
        let mut meta = state.meta;
        let name = meta.name.clone();
        if meta.header.is_none() {
            if !meta.had_cells {
                self.notice(
                    "empty_sheet",
                    Some(&name),
                    None,
                    format!("工作表“{name}”是空的，已跳过。"),
                    format!("Sheet “{name}” is empty and was skipped."),
                );
            } else if NOTES_SHEET_WORDS
                .iter()
                .any(|w| name.to_lowercase().contains(w))
            {
                self.notice(
                    "notes_sheet",
                    Some(&name),
                    None,
                    format!("工作表“{name}”没有表头行，看来是说明页，未读取。"),
                    format!("Sheet “{name}” has no header row; it looks like a page of notes and was not read."),
                );
            } else {
                self.report.errors.push(CellError {
                    sheet: name.clone(),
                    cell: None,
                    row: None,
                    column: None,
                    code: "no_header".into(),
                    message: pick(
                        self.lang,
                        format!("工作表“{name}”的前 {HEADER_SCAN_ROWS} 行中找不到表头行（需要同一行里有“事项名称”和至少两个其他模板列，如“实施部门”“检验周期”），该表未读取。如果它不是填报表，请删除该工作表。"),
                        format!("Sheet “{name}” has no header row in its first {HEADER_SCAN_ROWS} rows (one row with 事项名称 and at least two other template columns such as 实施部门, 检验周期); it was not read. Delete the sheet if it holds no items."),
                    ),
                });
            }
            return;
        };

        let item_rows = (self.next_item() - meta.first_item) as u32;
        let layout = match std::mem::replace(&mut state.phase, Phase::Done) {
            Phase::Reading(layout) => Some(layout),
            _ => None,
        };
        if let Some(layout) = &layout
            && item_rows > 0
            && (!meta.pending.is_empty() || item_rows <= ALWAYS_MERGE_ROWS)
        {
            let regions = merged();
            if !regions.is_empty() {
                self.fill_merged(&mut meta, layout, &regions);
            }
        }

        let lang = self.lang;
        // Items already handed on have their findings (and, unless reset, cannot have changed).
        let from = if self.reset {
            meta.first_item
        } else {
            meta.first_item.max(self.streamed)
        };
        for item in self.items_from(from) {
            item.findings = evaluate_file(&item.draft, lang);
        }
        self.stream_rest(false);
        if let Some(sheet) = self.report.sheets.iter_mut().rev().find(|s| s.name == name) {
            sheet.rows = item_rows;
        }
        let first_error = meta.first_error.min(self.report.errors.len());
        self.report.errors[first_error..].sort_by_key(|e| {
            let col = e
                .cell
                .as_deref()
                .and_then(parse_a1)
                .map_or(0, |(_, c)| c + 1);
            (e.row.unwrap_or(0), col)
        });
    }
}

impl Visitor for Import<'_> {
    fn begin_sheet(&mut self, name: &str, hidden: bool) -> Flow {
        if self.reset {
            return Flow::SkipSheet;
        }
        if hidden {
            self.notice(
                "hidden_sheet",
                Some(name),
                None,
                format!("隐藏的工作表“{name}”未读取。如其中有需要报送的事项，请取消隐藏后重新上传。"),
                format!("Hidden sheet “{name}” was not read. Unhide it and upload again if it holds items to submit."),
            );
            return Flow::SkipSheet;
        }
        self.sheet = Some(SheetState {
            meta: SheetMeta {
                name: name.to_string(),
                first_item: self.next_item(),
                first_error: self.report.errors.len(),
                had_cells: false,
                header: None,
                pending: Vec::new(),
                missing_reported: [false; Field::COUNT],
            },
            phase: Phase::Scanning(Vec::new()),
        });
        Flow::Continue
    }

    fn row(&mut self, row: u32, cells: &[RawCell<'_>]) -> Flow {
        // After a reset the file is read again from the start: nothing more to do here.
        if self.reset {
            return Flow::SkipSheet;
        }
        let Some(mut state) = self.sheet.take() else {
            return Flow::SkipSheet;
        };
        state.meta.had_cells = true;
        let flow = self.row_of(&mut state, row, cells);
        if matches!(state.phase, Phase::Reading(_)) {
            self.stream_ready(&state.meta);
        }
        self.sheet = Some(state);
        flow
    }

    fn end_sheet(&mut self, merged: &mut dyn FnMut() -> Vec<Dimensions>) {
        if let Some(state) = self.sheet.take() {
            self.end_of_sheet(state, merged);
        }
    }
}

fn pick(lang: Lang, zh: String, en: String) -> String {
    if lang == Lang::Zh { zh } else { en }
}

/// The values of a closed list for a message: 保留、取消、延长周期…
fn list_of(values: Values, lang: Lang) -> String {
    let separator = if lang == Lang::Zh { "、" } else { ", " };
    values
        .dropdown(Lang::Zh)
        .unwrap_or_default()
        .join(separator)
}

fn formula_error(shown: &str, lang: Lang) -> Problem {
    Problem {
        code: "formula_error".into(),
        message: pick(
            lang,
            format!("此格是公式错误值“{shown}”，请改为实际内容。"),
            format!(
                "This cell holds the formula error “{shown}”; replace it with the actual value."
            ),
        ),
    }
}

fn required_problem(field: Field, column: &Column, lang: Lang) -> Problem {
    let header = &column.label;
    let hint = spec::COLUMNS[field as usize].hint(lang);
    Problem {
        code: "required".into(),
        message: pick(
            lang,
            format!("“{header}”是必填项，此格为空。{hint}"),
            format!("“{header}” is required and this cell is empty. {hint}"),
        ),
    }
}

fn is_notes(value: &Value<'_>) -> bool {
    let Value::Text(text) = value else {
        return false;
    };
    let text = text.trim_start();
    NOTES_STARTS.iter().any(|start| text.starts_with(start))
}

/// The row among the first ones that matches the most columns: the name column and two more
/// at least. The first such row wins a tie.
fn find_header(rows: &[(u32, Vec<RawCell<'static>>)]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, cells)) in rows.iter().enumerate() {
        let mut seen = [false; Field::COUNT];
        let mut score = 0;
        for cell in cells {
            if let Value::Text(text) = &cell.value
                && let Some(field) = spec::match_header(text)
                && !seen[field as usize]
            {
                seen[field as usize] = true;
                score += 1;
            }
        }
        if seen[Field::Name as usize] && score >= 3 && best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// The kind of every row of a sheet: from its name, else from its columns; `None` when rows
/// say it themselves (a 事项类型 column) or nothing tells.
fn sheet_kind(name: &str, columns: &[Option<Column>; Field::COUNT]) -> Option<Kind> {
    if let Some(kind) = spec::kind_of_sheet_name(name) {
        return Some(kind);
    }
    let has = |f: Field| columns[f as usize].is_some();
    if has(Field::Kind) {
        return None;
    }
    if let Some(name_header) = &columns[Field::Name as usize]
        && let Some(kind) = spec::kind_of_sheet_name(&name_header.header)
    {
        return Some(kind);
    }
    let training = has(Field::TiedTo) || has(Field::Hours) || has(Field::Provider);
    match (has(Field::Cycle), training) {
        (true, false) => Some(Kind::Inspection),
        (false, true) => Some(Kind::Training),
        _ => None,
    }
}

fn is_empty(d: &ItemDraft, field: Field) -> bool {
    match field {
        Field::Serial | Field::Levels => true,
        Field::Kind => d.kind.is_none(),
        Field::Name => d.name.is_empty(),
        Field::Department => d.department.is_empty(),
        Field::TiedTo => d.tied_to.is_none(),
        Field::Licence => d.licence.is_none(),
        Field::LicenceCode => d.licence_code.is_none(),
        Field::Target => d.target.is_none(),
        Field::Bases => d.legal_bases.is_empty(),
        Field::Cycle => d.cycle_months.is_none() && d.cycle_text.is_none(),
        Field::AnnualReport => d.annual_report.is_none(),
        Field::Hours => d.hours.is_none(),
        Field::Fee => d.fee.is_none(),
        Field::FeeBasis => d.fee_basis.is_none(),
        Field::Provider => d.provider.is_none(),
        Field::ProviderDesignated => d.provider_designated.is_none(),
        Field::Proposed => d.proposed.is_none(),
        Field::ProposedCycle => d.proposed_cycle_months.is_none(),
        Field::Reason => d.reason.is_none(),
        Field::Remarks => d.remarks.is_none(),
    }
}

fn copy_field(from: &ItemDraft, to: &mut ItemDraft, field: Field) {
    match field {
        Field::Serial | Field::Levels => {}
        Field::Kind => to.kind = from.kind,
        Field::Name => to.name = from.name.clone(),
        Field::Department => to.department = from.department.clone(),
        Field::TiedTo => to.tied_to = from.tied_to,
        Field::Licence => to.licence = from.licence.clone(),
        Field::LicenceCode => to.licence_code = from.licence_code.clone(),
        Field::Target => to.target = from.target.clone(),
        Field::Bases => to.legal_bases = from.legal_bases.clone(),
        Field::Cycle => {
            to.cycle_months = from.cycle_months;
            to.cycle_text = from.cycle_text.clone();
        }
        Field::AnnualReport => to.annual_report = from.annual_report,
        Field::Hours => to.hours = from.hours,
        Field::Fee => to.fee = from.fee.clone(),
        Field::FeeBasis => to.fee_basis = from.fee_basis.clone(),
        Field::Provider => to.provider = from.provider.clone(),
        Field::ProviderDesignated => to.provider_designated = from.provider_designated,
        Field::Proposed => to.proposed = from.proposed,
        Field::ProposedCycle => to.proposed_cycle_months = from.proposed_cycle_months,
        Field::Reason => to.reason = from.reason.clone(),
        Field::Remarks => to.remarks = from.remarks.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clean_shortcut_agrees_with_clean() {
        let texts = [
            "道路运输经营许可证年度审验",
            "《中华人民共和国道路运输条例》第六十七条",
            "JT-XK-0101",
            "每年一次",
            "a b",
            "a  b",
            " 省交通运输厅",
            "省交通运输厅\u{3000}",
            "经营者质量信誉考核为AAA级的，审验周期可延长至两年",
            "３年",
            "（月）",
            "第一条\n第二条",
            "“两客一危”",
            "鲁价费发〔2012〕85号",
            "【重要】·说明—",
            "/",
            "-",
            "N/A",
            "无",
            "",
            "\t12",
            "ﬁ",
            "⑴",
        ];
        for text in texts {
            assert_eq!(cleaned(text), clean(text), "{text:?}");
            assert_eq!(cleaned_opt(text), clean_opt(text), "{text:?}");
        }
        assert!(matches!(cleaned("每年一次"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_returned_error_list_is_a_notes_sheet() {
        let name = super::super::annotate::ERRORS_SHEET;
        assert!(NOTES_SHEET_WORDS.iter().any(|w| name.contains(w)));
    }

    #[test]
    fn notes_rows() {
        for text in [
            "填表说明：",
            "  说明：本表",
            "注：1.",
            "备注:",
            "填报人：王晓燕",
        ] {
            assert!(is_notes(&Value::Text(text.into())), "{text}");
        }
        for text in ["说明书检验", "备注", "道路运输证"] {
            assert!(!is_notes(&Value::Text(text.into())), "{text}");
        }
    }
}
