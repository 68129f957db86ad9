//! The blank department template, written from the column table: an instructions sheet, one
//! sheet per kind with the contract's columns, frozen headers, widths, dropdowns and input hints.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign,
    FormatBorder, Formula, Workbook, Worksheet, XlsxError,
};

use super::spec::{self, COLUMNS, ColumnSpec, Values};
use crate::domain::{BasisLevel, Disposition, Kind, Lang, TiedTo};

/// Rows below the header that carry the dropdowns and hints.
pub const VALIDATED_ROWS: u32 = 500;

/// The name of the instructions sheet; the importer leaves it alone.
pub const INSTRUCTIONS_SHEET: &str = "填表说明";

/// The hidden sheet holding dropdown lists too long for an inline list.
pub const LISTS_SHEET: &str = "下拉选项";

/// Excel's limit on an inline list validation, in characters of the joined list.
const INLINE_LIST_LIMIT: usize = 255;

/// Writes the template workbook.
pub fn write_template(lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    let mut lists = Lists::default();

    write_instructions(workbook.add_worksheet(), lang, &formats)?;
    for kind in Kind::ALL {
        let sheet = workbook.add_worksheet();
        write_kind_sheet(sheet, *kind, lang, &formats, &mut lists)?;
    }
    if !lists.columns.is_empty() {
        let sheet = workbook.add_worksheet().set_name(LISTS_SHEET)?;
        for (col, values) in lists.columns.iter().enumerate() {
            for (row, value) in values.iter().enumerate() {
                sheet.write_string(row as u32, col as u16, *value)?;
            }
        }
        sheet.set_hidden(true);
    }
    workbook.worksheet_from_index(0)?.set_active(true);
    workbook.save_to_buffer()
}

struct Formats {
    title: Format,
    header: Format,
    required_header: Format,
    wrap: Format,
    bold_wrap: Format,
    text: Format,
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(16),
            required_header: header.clone().set_font_color(Color::RGB(0xC00000)),
            header,
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            bold_wrap: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            text: Format::new().set_num_format("@"),
        }
    }
}

/// Dropdown lists that had to go to the hidden sheet, one column each.
#[derive(Default)]
struct Lists {
    columns: Vec<Vec<&'static str>>,
}

impl Lists {
    /// A list validation: inline when short enough, else a formula into the hidden sheet.
    fn validation(&mut self, values: &[&'static str]) -> Result<DataValidation, XlsxError> {
        let joined: usize = values.iter().map(|v| v.chars().count() + 1).sum();
        if joined <= INLINE_LIST_LIMIT {
            return DataValidation::new().allow_list_strings(values);
        }
        let col = self.columns.len();
        self.columns.push(values.to_vec());
        let letter = column_letters(col as u32);
        let formula = format!("='{LISTS_SHEET}'!${letter}$1:${letter}${}", values.len());
        Ok(DataValidation::new().allow_list_formula(Formula::new(formula)))
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn write_kind_sheet(
    sheet: &mut Worksheet,
    kind: Kind,
    lang: Lang,
    formats: &Formats,
    lists: &mut Lists,
) -> Result<(), XlsxError> {
    sheet.set_name(spec::sheet_name(kind))?;
    for column in spec::template_columns(kind) {
        let (Some(place), Some(header)) = (column.template(kind), column.template_header(kind))
        else {
            continue;
        };
        let col = place.position;
        let format = if column.required(kind) {
            &formats.required_header
        } else {
            &formats.header
        };
        sheet.write_string_with_format(0, col, &header, format)?;
        sheet.set_column_width(col, column.width)?;
        if column.field == spec::Field::LicenceCode {
            // Codes stay text: Excel would otherwise drop leading zeros.
            sheet.set_column_format(col, &formats.text)?;
        }
        if let Some(validation) = validation_of(column, kind, lang, lists)? {
            sheet.add_data_validation(1, col, VALIDATED_ROWS, col, &validation)?;
        }
    }
    sheet.set_row_height(0, 30)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The dropdown or number check of a column, with its hint when the column is required.
fn validation_of(
    column: &ColumnSpec,
    kind: Kind,
    lang: Lang,
    lists: &mut Lists,
) -> Result<Option<DataValidation>, XlsxError> {
    // Dropdown values are always the Chinese labels: the data is Chinese whatever the reader's
    // language, and the importer reads codes and English labels as well.
    let validation = match column.values.dropdown(Lang::Zh) {
        Some(values) => {
            let validation = lists.validation(&values)?;
            if column.values == Values::Levels {
                // Several bases take several levels in one cell: warn, do not refuse.
                Some(validation.set_error_style(DataValidationErrorStyle::Information))
            } else {
                Some(validation)
            }
        }
        None if column.values == Values::Number && column.field != spec::Field::Serial => Some(
            DataValidation::new()
                .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
                .set_error_style(DataValidationErrorStyle::Warning),
        ),
        None if column.required(kind) => Some(DataValidation::new().allow_any_value()),
        None => None,
    };
    let Some(mut validation) = validation else {
        return Ok(None);
    };
    if column.required(kind) || column.values != Values::Text {
        let title: String = column.display_name(Some(kind)).chars().take(32).collect();
        validation = validation
            .set_input_title(title)?
            .set_input_message(column.hint(lang))?;
    }
    Ok(Some(validation))
}

fn write_instructions(
    sheet: &mut Worksheet,
    lang: Lang,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(INSTRUCTIONS_SHEET)?;
    let zh = lang == Lang::Zh;
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 24)?;
    sheet.set_column_width(2, 8)?;
    sheet.set_column_width(3, 60)?;
    sheet.set_column_width(4, 36)?;
    let title = if zh {
        "年检和政府指定培训清理情况填报模板 — 填表说明"
    } else {
        "Annual inspections and designated trainings: template instructions"
    };
    sheet.write_string_with_format(0, 0, title, &formats.title)?;

    let general: &[(&str, &str)] = &[
        (
            "本工作簿有“年检事项”“指定培训”两张表，请分别填写；没有的事项留空即可，不要删除或改动表头。",
            "Fill in the sheets 年检事项 (annual inspections) and 指定培训 (designated trainings); leave one empty if you have none, but keep its header row as it is.",
        ),
        (
            "表头中带 * 的列为必填，红色表头即必填列。每行填写一个事项。",
            "Columns marked * (red headers) are required. One item per row.",
        ),
        (
            "一个事项有多个设定依据时，写在同一格内，用换行（Alt+Enter）或“；”分隔；“依据层级”按相同顺序逐条填写，不填则按依据名称推断。",
            "Several legal bases go into one cell, separated by line breaks (Alt+Enter) or ；. Give their levels in 依据层级 in the same order, or leave it empty to have them inferred from the titles.",
        ),
        (
            "检验周期按实际写法填写即可，如“每年一次”“2年”“24个月”“每半年”“两年一检”“不定期”。",
            "Write cycles as you would say them: 每年一次, 2年, 24个月, 每半年, 两年一检, 不定期.",
        ),
        (
            "请不要合并单元格，不要在表格中间插入小计行；表格下方如需说明，请另起一行以“备注：”开头。",
            "Do not merge cells or insert subtotal rows; notes below the table go on a row of their own starting with 备注：.",
        ),
        (
            "上传后系统逐格检查，有问题的单元格会标红并附说明；请按说明修改后重新上传。",
            "After upload every cell is checked; cells with problems come back marked red with a note. Fix them and upload again.",
        ),
    ];
    let mut row = 2u32;
    for (i, (zh_text, en_text)) in general.iter().enumerate() {
        sheet.write_string(row, 0, format!("{}.", i + 1))?;
        sheet.merge_range(row, 1, row, 4, lang.pick(zh_text, en_text), &formats.wrap)?;
        sheet.set_row_height(row, 32)?;
        row += 1;
    }

    row += 1;
    let headings: [&str; 5] = if zh {
        ["工作表", "列名", "必填", "填写说明", "可选值"]
    } else {
        ["Sheet", "Column", "Required", "What to enter", "Values"]
    };
    for (col, text) in headings.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *text, &formats.header)?;
    }
    row += 1;
    for kind in Kind::ALL {
        for column in spec::template_columns(*kind) {
            let Some(header) = column.template_header(*kind) else {
                continue;
            };
            sheet.write_string_with_format(row, 0, spec::sheet_name(*kind), &formats.wrap)?;
            sheet.write_string_with_format(row, 1, &header, &formats.bold_wrap)?;
            let required = match (column.required(*kind), zh) {
                (true, true) => "是",
                (true, false) => "yes",
                (false, _) => "",
            };
            sheet.write_string_with_format(row, 2, required, &formats.wrap)?;
            sheet.write_string_with_format(row, 3, column.hint(lang), &formats.wrap)?;
            if let Some(values) = column.values.dropdown(Lang::Zh) {
                sheet.write_string_with_format(row, 4, values.join("、"), &formats.wrap)?;
            }
            row += 1;
        }
    }

    row += 1;
    let codes_title = if zh {
        "代码对照（系统导出的 JSON 使用这些代码）"
    } else {
        "Codes (used in the JSON the system exports)"
    };
    sheet.write_string_with_format(row, 0, codes_title, &formats.bold_wrap)?;
    row += 1;
    let mut code_rows: Vec<(&str, &str, &str)> = Vec::new();
    let (kind_name, level_name, disposition_name, tied_name) = if zh {
        ("事项类型", "依据层级", "拟处理意见", "挂钩环节")
    } else {
        ("Kind", "Basis level", "Proposal", "Tied to")
    };
    code_rows.extend(Kind::ALL.iter().map(|k| (kind_name, k.zh(), k.code())));
    code_rows.extend(
        BasisLevel::ALL
            .iter()
            .map(|l| (level_name, l.zh(), l.code())),
    );
    code_rows.extend(
        Disposition::ALL
            .iter()
            .map(|d| (disposition_name, d.zh(), d.code())),
    );
    code_rows.extend(TiedTo::ALL.iter().map(|t| (tied_name, t.zh(), t.code())));
    for (group, label, code) in code_rows {
        sheet.write_string(row, 0, group)?;
        sheet.write_string(row, 1, label)?;
        sheet.write_string(row, 3, code)?;
        row += 1;
    }
    debug_assert!(COLUMNS.len() == spec::Field::COUNT);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};
    use std::io::Cursor;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn the_template_has_the_contract_headers_in_order() {
        let bytes = write_template(Lang::Zh).unwrap();
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(
            workbook.sheet_names(),
            [INSTRUCTIONS_SHEET, "年检事项", "指定培训"]
        );
        for kind in Kind::ALL {
            let range = workbook.worksheet_range(spec::sheet_name(*kind)).unwrap();
            let headers: Vec<String> = range
                .rows()
                .next()
                .unwrap()
                .iter()
                .map(|d| d.to_string())
                .collect();
            let expected: Vec<String> = spec::template_columns(*kind)
                .iter()
                .filter_map(|c| c.template_header(*kind))
                .collect();
            assert_eq!(headers, expected);
        }
    }

    #[test]
    fn dropdowns_and_hints_are_in_the_sheet_xml() {
        let bytes = write_template(Lang::Zh).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(
            xml.contains("保留,取消,延长周期,改为年度报告公示,规范"),
            "disposition dropdown"
        );
        assert!(xml.contains("是,否"), "yes/no dropdown");
        assert!(xml.contains("promptTitle=\"检验周期\""), "cycle hint");
        assert!(
            xml.contains("sqref=\"I2:I501\""),
            "cycle hint over the validated rows"
        );
        assert!(xml.contains("<pane ySplit=\"1\""), "frozen header");
    }

    #[test]
    fn long_lists_go_to_a_hidden_sheet() {
        let mut lists = Lists::default();
        let long: Vec<&'static str> =
            std::iter::repeat_n("一个相当长的选项名称用来超过限制", 20).collect();
        let validation = lists.validation(&long);
        assert!(validation.is_ok());
        assert_eq!(lists.columns.len(), 1);
        let short = lists.validation(&["是", "否"]);
        assert!(short.is_ok());
        assert_eq!(lists.columns.len(), 1, "short lists stay inline");
    }
}
