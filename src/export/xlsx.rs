//! The official xlsx layout of a publication: one sheet per list, each with a merged title row,
//! a frozen header, 序号, column widths fitted to CJK text, wrapped text, thin borders and an A4
//! landscape print setup with the header repeated on every page; then a 说明 sheet.
//!
//! The list sheets are constant-memory worksheets written row by row, so a publication of any
//! size costs one row of memory (plus a temp file) and little more than rust_xlsxwriter itself
//! needs to write the same cells bare (BENCHMARKS.md "Export"). What that took:
//!
//! - data cells are written without a format: they take the workbook's default format
//!   (wrapped, top-aligned), so their XML is exactly what a bare write gives. rust_xlsxwriter
//!   looks a per-cell `Format` up by hashing the whole struct, which cost a fifth of the export,
//!   and a style on every cell made the sheets a third slower to compress. The same held for
//!   centred columns through a column format: 序号, cycles and outcome centred cost a tenth of
//!   the export (685 → 631 ms CPU for 100,000 items, BENCHMARKS.md), so the data rows are all
//!   in the default format; numbers stand right-aligned, as Excel shows them, and only the title
//!   and header rows are centred.
//! - the thin borders of the data are one conditional format (`TRUE`) over the data range, not
//!   part of the column format, which would draw them down to row 1,048,576. Excel, WPS and
//!   LibreOffice show and print them; the title and header rows have real borders.
//! - column widths are measured without rendering or allocating, and a column stops being
//!   measured once it reaches its cap.

use std::borrow::Cow;

use rust_xlsxwriter::{
    ConditionalFormatFormula, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    Workbook, Worksheet,
};

use super::columns::{self, Column, Value};
use super::{ExportError, date_text, edition_text, local_date};
use crate::domain::Lang;
use crate::domain::publication::{List, Publication, PublishedItem};

/// Excel's limit on the text of one cell (UTF-16 units).
const MAX_CELL_CHARS: usize = 32_767;

/// Points per line of wrapped 11-point text, and the most lines a row is made tall for (Excel
/// allows rows of at most 409 points; the rest of a longer text scrolls inside the cell).
const LINE_HEIGHT: f64 = 15.0;
const MAX_LINES: u32 = 27;

/// Width units added to the measured text of a column.
const PADDING: f64 = 2.0;

/// Excel's limit on a sheet name.
const MAX_SHEET_NAME: usize = 31;

/// The source named on every export (DESIGN.md §1.5).
pub(crate) const SOURCE_ZH: &str = "推进政府职能转变领导小组办公室";
pub(crate) const SOURCE_EN: &str = "Leading Group Office for Transforming Government Functions";

/// The sheet name of a list: its label, shortened where Excel's 31 characters demand it.
pub fn sheet_name(list: List, lang: Lang) -> String {
    let name = match (list, lang) {
        (List::Retained, Lang::Zh) => "保留的年检事项",
        (List::Converted, Lang::Zh) => "改为年度报告公示",
        (List::Cancelled, Lang::Zh) => "取消的事项",
        (List::Trainings, Lang::Zh) => "保留的指定培训",
        (List::Retained, Lang::En) => "Retained inspections",
        (List::Converted, Lang::En) => "Converted to annual reports",
        (List::Cancelled, Lang::En) => "Cancelled items",
        (List::Trainings, Lang::En) => "Retained trainings",
    };
    safe_sheet_name(name)
}

/// The name of the explanatory sheet.
pub fn notes_sheet_name(lang: Lang) -> &'static str {
    lang.pick("说明", "About")
}

/// Leaves out what Excel refuses in a sheet name and cuts it to 31 characters.
pub(crate) fn safe_sheet_name(name: &str) -> String {
    name.chars()
        .filter(|c| !r"[]:*?/\".contains(*c) && !c.is_control())
        .take(MAX_SHEET_NAME)
        .collect()
}

/// The title row of a list: `山东省保留的年检事项目录（第3版，2026年11月27日公布）`.
pub fn list_title(p: &Publication, list: List, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "{}{}目录{}",
            p.region_name,
            list.zh(),
            edition_text(p, lang)
        ),
        Lang::En => format!(
            "{}: {} {}",
            p.region_name,
            capitalise(list.en()),
            edition_text(p, lang)
        ),
    }
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>()
    })
}

/// The merged title row of a sheet: bold, 16 points, centred.
pub(crate) fn title_format() -> Format {
    Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
}

/// A header cell: bordered, bold, centred on grey.
pub(crate) fn header_format() -> Format {
    Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin)
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#D9D9D9")
}

/// The formats of a workbook, made once.
pub(crate) struct Formats {
    pub(crate) title: Format,
    pub(crate) header: Format,
    /// The workbook's default format, which every data cell of the lists takes: wrapped,
    /// top-aligned. No borders: those come from [`Formats::borders`] over the data range
    /// only, so the empty rows below a list stay clean.
    pub(crate) default: Format,
    pub(crate) borders: ConditionalFormatFormula,
    note_key: Format,
    note_value: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        // Top-aligned: a text taller than the tallest row still shows its beginning.
        let cell = Format::new().set_text_wrap().set_align(FormatAlign::Top);
        Formats {
            title: title_format(),
            header: header_format(),
            default: cell,
            borders: ConditionalFormatFormula::new()
                .set_rule("TRUE")
                .set_format(Format::new().set_border(FormatBorder::Thin)),
            note_key: Format::new()
                .set_bold()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Top)
                .set_text_wrap(),
            note_value: Format::new()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Top)
                .set_text_wrap(),
        }
    }
}

/// The whole workbook, in memory. The same publication gives the same bytes: the document's
/// creation time is the publication's, and nothing reads the clock.
pub fn write(p: &Publication, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(p, lang)?);
    let formats = Formats::new();
    // Calibri 11 as before, with Excel's own metrics for it (20 px rows, 64 px columns).
    workbook.set_default_format(&formats.default, 20, 64)?;
    for list in List::ALL {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        write_list(sheet, p, *list, lang, &formats)?;
    }
    write_notes(workbook.add_worksheet(), p, lang, &formats)?;
    Ok(workbook.save_to_buffer()?)
}

fn properties(p: &Publication, lang: Lang) -> Result<DocProperties, ExportError> {
    let t = p.published_at;
    let (date, time) = (t.date(), t.time());
    use chrono::{Datelike, Timelike};
    // Outside Excel's years the creation time is only metadata: fall back to a fixed one
    // rather than refuse the export.
    let created = u16::try_from(date.year())
        .ok()
        .and_then(|y| ExcelDateTime::from_ymd(y, date.month() as u8, date.day() as u8).ok())
        .and_then(|d| {
            d.and_hms(time.hour() as u16, time.minute() as u8, time.second())
                .ok()
        });
    let mut props = DocProperties::new()
        .set_title(list_free_title(p))
        .set_author(lang.pick(SOURCE_ZH, SOURCE_EN))
        .set_company(lang.pick(SOURCE_ZH, SOURCE_EN))
        .set_subject(format!("{} {}", p.round_name, edition_text(p, lang)))
        .set_custom_property("publication", f64::from(p.number))
        .set_custom_property("region", p.region_code.as_str());
    match created {
        Some(c) => props = props.set_creation_datetime(&c),
        None => {
            let epoch = ExcelDateTime::from_ymd(1970, 1, 1)?;
            props = props.set_creation_datetime(&epoch);
        }
    }
    Ok(props)
}

fn list_free_title(p: &Publication) -> String {
    if p.title.trim().is_empty() {
        p.region_name.clone()
    } else {
        p.title.clone()
    }
}

/// Column widths fitted to the longest line of each column (CJK counted twice), between the
/// header's own width and the column's cap, plus a little padding. A column stops being
/// measured once it reaches its cap, so long texts cost nothing after the first few rows.
fn widths(cols: &[Column], items: &[&PublishedItem], lang: Lang) -> Vec<f64> {
    let mut scratch = String::new();
    cols.iter()
        .map(|col| {
            let cap = col.max_width;
            let mut widest = columns::text_width(col.header(lang), cap).min(cap);
            for item in items {
                if widest >= cap {
                    break;
                }
                widest = widest.max((col.value)(item, lang).width(lang, cap, &mut scratch));
            }
            widest.clamp(4.0, cap) + PADDING
        })
        .collect()
}

/// The height of a row of `lines` wrapped lines.
fn row_height(lines: u32) -> f64 {
    f64::from(lines.clamp(1, MAX_LINES)) * LINE_HEIGHT
}

/// A cell of a row about to be written.
enum Cell<'a> {
    Empty,
    Number(f64),
    Text(Cow<'a, str>),
}

fn write_list(
    sheet: &mut Worksheet,
    p: &Publication,
    list: List,
    lang: Lang,
    formats: &Formats,
) -> Result<(), ExportError> {
    let cols = columns::of(list);
    let last_col = (cols.len() - 1) as u16;
    let items: Vec<&PublishedItem> = p.list(list).collect();

    sheet.set_name(sheet_name(list, lang))?;
    let widths = widths(cols, &items, lang);
    // The data cells are written without a format and take the workbook's (see the module
    // notes).
    for (c, width) in (0_u16..).zip(&widths) {
        sheet.set_column_width(c, *width)?;
    }
    print_setup(sheet, lang);
    sheet.set_repeat_rows(1, 1)?;
    sheet.set_freeze_panes(2, 0)?;

    sheet.set_row_height(0, 36)?;
    sheet.merge_range(
        0,
        0,
        0,
        last_col,
        &list_title(p, list, lang),
        &formats.title,
    )?;
    for (c, col) in cols.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, col.header(lang), &formats.header)?;
    }

    // Rows get the height their wrapped text needs: applications differ in whether they fit
    // rows on opening a file (LibreOffice does not), and printing needs it.
    let header_lines = cols
        .iter()
        .zip(&widths)
        .map(|(col, w)| columns::line_count(col.header(lang), w - PADDING, MAX_LINES))
        .max()
        .unwrap_or(1);
    sheet.set_row_height(1, row_height(header_lines))?;

    // Most rows of a list are as tall as each other. That height becomes the sheet's default,
    // read off the first rows, and only the rows that differ get one of their own: a row
    // height set one by one costs rust_xlsxwriter a map entry per row that constant-memory
    // mode never frees (a tenth of a 100,000-item export, BENCHMARKS.md).
    let mut ahead: Vec<(Vec<Cell<'_>>, u32)> = items
        .iter()
        .take(SAMPLE_ROWS)
        .map(|item| {
            let mut cells = Vec::with_capacity(cols.len());
            let lines = row_cells(item, cols, &widths, lang, &mut cells);
            (cells, lines)
        })
        .collect();
    let usual = most_common(ahead.iter().map(|(_, lines)| *lines));
    sheet.set_default_row_height(row_height(usual));

    let mut last_row = 1;
    let mut cells: Vec<Cell<'_>> = Vec::with_capacity(cols.len());
    for (row, item) in (2_u32..).zip(items.iter().copied()) {
        let n = (row - 2) as usize;
        let lines = match ahead.get_mut(n) {
            Some((buffered, lines)) => {
                std::mem::swap(&mut cells, buffered);
                *lines
            }
            None => row_cells(item, cols, &widths, lang, &mut cells),
        };
        if lines != usual {
            sheet.set_row_height(row, row_height(lines))?;
        }
        for (c, cell) in (0_u16..).zip(cells.drain(..)) {
            match cell {
                // No cell: the column's format still shows, and the borders cover the range.
                Cell::Empty => {}
                Cell::Number(n) => {
                    sheet.write_number(row, c, n)?;
                }
                Cell::Text(text) => {
                    sheet.write_string(row, c, text)?;
                }
            }
        }
        last_row = row;
    }
    ahead.clear();
    if last_row >= 2 {
        sheet.add_conditional_format(2, 0, last_row, last_col, &formats.borders)?;
    }
    Ok(())
}

/// How many rows are read ahead to choose a list's usual row height.
const SAMPLE_ROWS: usize = 256;

/// The cells of one item's row, into `cells`, and the lines its tallest wrapped text takes.
fn row_cells<'a>(
    item: &'a PublishedItem,
    cols: &[Column],
    widths: &[f64],
    lang: Lang,
    cells: &mut Vec<Cell<'a>>,
) -> u32 {
    let mut lines = 1;
    for (col, width) in cols.iter().zip(widths) {
        let cell = match (col.value)(item, lang) {
            Value::Empty => Cell::Empty,
            Value::Number(n) => Cell::Number(n),
            Value::Text(s) => Cell::Text(fit(s)),
            other => {
                let mut text = String::new();
                other.render_into(lang, &mut text);
                Cell::Text(Cow::Owned(fit_owned(text)))
            }
        };
        if let Cell::Text(text) = &cell {
            // A text of no more bytes than the row's lines hold cannot make it taller.
            let avail = width - PADDING;
            if text.len() as f64 > f64::from(lines) * avail || text.contains('\n') {
                lines = lines.max(columns::line_count(text, avail, MAX_LINES));
            }
        }
        cells.push(cell);
    }
    lines.clamp(1, MAX_LINES)
}

/// The most frequent of some line counts (the smallest of equally frequent ones); 1 for none.
fn most_common(lines: impl Iterator<Item = u32>) -> u32 {
    let mut seen = [0usize; MAX_LINES as usize + 1];
    for n in lines {
        seen[n.clamp(1, MAX_LINES) as usize] += 1;
    }
    // max_by_key keeps the last of equal maxima: walk from the top so that is the smallest.
    (1..=MAX_LINES)
        .rev()
        .max_by_key(|&n| seen[n as usize])
        .unwrap_or(1)
}

/// A text as Excel can hold it: at most 32,767 UTF-16 units. A longer one (only a rationale
/// could be) is cut at a character boundary and ends in `…`; the json export has it whole.
pub(crate) fn fit(s: &str) -> Cow<'_, str> {
    // A UTF-8 string never has more UTF-16 units than bytes.
    if s.len() <= MAX_CELL_CHARS {
        return Cow::Borrowed(s);
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS - 1 {
            return Cow::Owned(format!("{}…", &s[..i]));
        }
    }
    Cow::Borrowed(s)
}

fn fit_owned(text: String) -> String {
    if text.len() <= MAX_CELL_CHARS {
        text
    } else {
        fit(&text).into_owned()
    }
}

/// A4 landscape, one page wide, narrow margins, page numbers in the footer.
pub(crate) fn print_setup(sheet: &mut Worksheet, lang: Lang) {
    sheet
        .set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_print_center_horizontally(true)
        .set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3)
        .set_footer(lang.pick("&C第 &P 页，共 &N 页", "&CPage &P of &N"));
}

const NOTES_KEY_WIDTH: f64 = 44.0;
const NOTES_VALUE_WIDTH: f64 = 70.0;

/// The 说明 sheet: what the lists are, which publication, its figures and its source.
fn write_notes(
    sheet: &mut Worksheet,
    p: &Publication,
    lang: Lang,
    formats: &Formats,
) -> Result<(), ExportError> {
    sheet.set_name(notes_sheet_name(lang))?;
    sheet.set_column_width(0, NOTES_KEY_WIDTH)?;
    sheet.set_column_width(1, NOTES_VALUE_WIDTH)?;
    print_setup(sheet, lang);
    sheet.set_print_fit_to_pages(1, 1);

    let source = match lang {
        Lang::Zh => format!("{}{SOURCE_ZH}", p.region_name),
        Lang::En => format!("{SOURCE_EN}, {}", p.region_name),
    };
    let s = &p.summary;
    let count = |n: u32| match lang {
        Lang::Zh => format!("{n}项"),
        Lang::En => n.to_string(),
    };
    let mut rows: Vec<(String, String)> = vec![
        (
            lang.pick("说明", "About").into(),
            match lang {
                Lang::Zh => format!(
                    "本工作簿为{source}公布的年检和政府指定培训清理结果，\
                     每张清单一张工作表，序号在各清单内自1起编。\
                     检验周期“不定期”指没有固定周期；日期为北京时间。"
                ),
                Lang::En => format!(
                    "The results of the clean-up of annual inspections and government-designated \
                     trainings as published by the {source}: one sheet per list, numbered from 1 \
                     within each list. A cycle of “irregular” has no fixed period; dates are \
                     China Standard Time."
                ),
            },
        ),
        (lang.pick("标题", "Title").into(), list_free_title(p)),
        (
            lang.pick("公布编号", "Publication").into(),
            match lang {
                Lang::Zh => format!("第{}版", p.number),
                Lang::En => p.number.to_string(),
            },
        ),
        (
            lang.pick("公布日期", "Published").into(),
            date_text(local_date(p), lang),
        ),
        (
            lang.pick("行政区划", "Region").into(),
            format!("{}（{}）", p.region_name, p.region_code),
        ),
        (lang.pick("清理批次", "Round").into(), p.round_name.clone()),
    ];
    for (list, n) in [
        (List::Retained, s.retained),
        (List::Converted, s.converted),
        (List::Cancelled, s.cancelled),
        (List::Trainings, s.trainings),
    ] {
        let what = match lang {
            Lang::Zh => format!("{}（见“{}”工作表）", list.zh(), sheet_name(list, lang)),
            Lang::En => format!(
                "{} (sheet “{}”)",
                capitalise(list.en()),
                sheet_name(list, lang)
            ),
        };
        rows.push((what, count(n)));
    }
    rows.extend([
        (
            lang.pick("延长检验周期的年检事项", "Inspections with a longer cycle")
                .into(),
            count(s.cycles_lengthened),
        ),
        (
            lang.pick("清理前年检事项", "Annual inspections before")
                .into(),
            count(s.inspections_before),
        ),
        (
            lang.pick("清理后年检事项", "Annual inspections after")
                .into(),
            count(s.inspections_after),
        ),
        (lang.pick("来源", "Source").into(), source),
    ]);

    sheet.set_row_height(0, 36)?;
    sheet.merge_range(0, 0, 0, 1, &list_free_title(p), &formats.title)?;
    for (i, (key, value)) in rows.into_iter().enumerate() {
        let row = i as u32 + 1;
        let lines = columns::line_count(&key, NOTES_KEY_WIDTH - PADDING, MAX_LINES).max(
            columns::line_count(&value, NOTES_VALUE_WIDTH - PADDING, MAX_LINES),
        );
        sheet.set_row_height(row, row_height(lines))?;
        sheet.write_string_with_format(row, 0, key, &formats.note_key)?;
        sheet.write_string_with_format(row, 1, value, &formats.note_value)?;
    }
    Ok(())
}

/// The cells of every list sheet as plain values, for the benchmark's floor: the same strings
/// that [`write`] writes, so the two write the same cells and differ only in the layout.
#[doc(hidden)]
pub fn bare_cells(p: &Publication, lang: Lang) -> Vec<(String, Vec<Vec<BareCell>>)> {
    List::ALL
        .iter()
        .map(|list| {
            let cols = columns::of(*list);
            let mut rows = vec![
                vec![BareCell::Text(list_title(p, *list, lang))],
                cols.iter()
                    .map(|c| BareCell::Text(c.header(lang).to_owned()))
                    .collect(),
            ];
            rows.extend(p.list(*list).map(|item| {
                cols.iter()
                    .map(|col| match (col.value)(item, lang) {
                        Value::Empty => BareCell::Empty,
                        Value::Number(n) => BareCell::Number(n),
                        other => BareCell::Text(
                            other.text(lang).map(|t| t.into_owned()).unwrap_or_default(),
                        ),
                    })
                    .collect()
            }));
            (sheet_name(*list, lang), rows)
        })
        .collect()
}

#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub enum BareCell {
    Empty,
    Text(String),
    Number(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_excel() {
        for list in List::ALL {
            for lang in [Lang::Zh, Lang::En] {
                let name = sheet_name(*list, lang);
                assert!(!name.is_empty() && name.chars().count() <= MAX_SHEET_NAME);
            }
        }
        assert_eq!(sheet_name(List::Converted, Lang::Zh), "改为年度报告公示");
        assert_eq!(safe_sheet_name("a/b[c]:d*e?f\\g"), "abcdefg");
        assert_eq!(safe_sheet_name(&"年".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn over_long_text_is_cut_to_excels_limit_on_a_char_boundary() {
        let short = "年检".repeat(100);
        assert_eq!(fit(&short), short);
        let long = "年".repeat(40_000);
        let cut = fit(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with("年…"));
        // Astral characters are two UTF-16 units each.
        let astral = "𠀀".repeat(20_000);
        assert!(fit(&astral).encode_utf16().count() <= MAX_CELL_CHARS);
    }

    #[test]
    fn capitalise_first_letter() {
        assert_eq!(capitalise("retained items"), "Retained items");
        assert_eq!(capitalise(""), "");
    }

    #[test]
    fn usual_row_height_is_the_most_frequent_and_the_smallest_of_a_tie() {
        assert_eq!(most_common([2, 2, 1, 3, 2].into_iter()), 2);
        assert_eq!(most_common([3, 1, 3, 1].into_iter()), 1);
        assert_eq!(most_common(std::iter::empty()), 1);
        assert_eq!(
            most_common([0, 0, 99].into_iter()),
            1,
            "out of range counts clamp"
        );
        assert_eq!(most_common([99, 99, 1].into_iter()), MAX_LINES);
    }
}
