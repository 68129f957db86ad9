//! The report upward (issue #8) and the reminders list, as workbooks in the house style of
//! `xlsx.rs` (title row, frozen header, CJK widths, A4 landscape): a summary sheet with the
//! outcome figures and a native Excel chart, the per-department table with a stacked chart,
//! and the four lists as the current decisions make them.

use rust_xlsxwriter::{Chart, ChartType, Format, FormatBorder, Workbook, Worksheet};

use super::ExportError;
use super::charts::{self, outcome_rows};
use super::columns::text_width;
use super::xlsx::{
    capitalise, header_format, print_setup, safe_sheet_name, sheet_name, title_format,
};
use crate::domain::Lang;
use crate::domain::publication::List;
use crate::service::admin::time;
use crate::service::dashboard::{DECISION_COLUMNS, Dashboard, DepartmentLine, decision_label};

/// The widest a column is made (Excel width units).
const MAX_WIDTH: f64 = 50.0;

/// The name of the summary sheet (tests and readers look it up).
pub fn summary_sheet_name(lang: Lang) -> &'static str {
    lang.pick("汇总", "Summary")
}

pub fn departments_sheet_name(lang: Lang) -> &'static str {
    lang.pick("各部门情况", "Departments")
}

pub fn reminders_sheet_name(lang: Lang) -> &'static str {
    lang.pick("催报名单", "Reminders")
}

/// A sheet being written as a titled table: widths follow the widest text of each column.
struct Table<'a> {
    sheet: &'a mut Worksheet,
    widths: Vec<f64>,
    row: u32,
    cell: Format,
}

impl<'a> Table<'a> {
    /// Title in row 1 (merged), headers in row 2, frozen below.
    fn start(
        sheet: &'a mut Worksheet,
        title: &str,
        headers: &[&str],
        lang: Lang,
    ) -> Result<Table<'a>, ExportError> {
        print_setup(sheet, lang);
        sheet.set_repeat_rows(1, 1)?;
        sheet.set_freeze_panes(2, 0)?;
        sheet.set_row_height(0, 36)?;
        let last = headers.len().saturating_sub(1) as u16;
        if last > 0 {
            sheet.merge_range(0, 0, 0, last, title, &title_format())?;
        } else {
            sheet.write_string_with_format(0, 0, title, &title_format())?;
        }
        let header = header_format();
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(1, c as u16, *h, &header)?;
        }
        let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
        Ok(Table {
            widths: headers.iter().map(|h| text_width(h, MAX_WIDTH)).collect(),
            sheet,
            row: 2,
            cell,
        })
    }

    fn text(&mut self, col: u16, s: &str) -> Result<(), ExportError> {
        self.widen(col, s);
        self.sheet
            .write_string_with_format(self.row, col, s, &self.cell)?;
        Ok(())
    }

    fn number(&mut self, col: u16, n: f64) -> Result<(), ExportError> {
        self.widen(col, &n.to_string());
        self.sheet
            .write_number_with_format(self.row, col, n, &self.cell)?;
        Ok(())
    }

    fn optional(&mut self, col: u16, n: Option<i64>) -> Result<(), ExportError> {
        match n {
            Some(n) => self.number(col, n as f64),
            None => self.text(col, ""),
        }
    }

    fn widen(&mut self, col: u16, s: &str) {
        if let Some(w) = self.widths.get_mut(col as usize) {
            *w = w.max(text_width(s, MAX_WIDTH));
        }
    }

    fn next_row(&mut self) {
        self.row += 1;
    }

    /// Sets the measured widths; returns the last data row (the header row when empty).
    fn finish(self) -> Result<u32, ExportError> {
        for (c, w) in self.widths.iter().enumerate() {
            self.sheet
                .set_column_width(c as u16, w.clamp(6.0, MAX_WIDTH) + 2.0)?;
        }
        Ok(self.row - 1)
    }
}

fn yes_no(b: bool, lang: Lang) -> &'static str {
    if b {
        lang.pick("是", "yes")
    } else {
        lang.pick("否", "no")
    }
}

fn percent(share: Option<f64>) -> Option<f64> {
    share.map(|s| (s * 1000.0).round() / 10.0)
}

fn round1(x: Option<f64>) -> Option<f64> {
    x.map(|x| (x * 10.0).round() / 10.0)
}

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// A percentage to one decimal (25.0 = 25%).
    Percent,
    /// Months to one decimal.
    Months,
}

/// The figures of the summary sheet: label, value and unit, in the order the page shows them.
/// `None` where a share or an average is undefined (nothing to divide by).
pub fn figures(d: &Dashboard, lang: Lang) -> Vec<(&'static str, Option<f64>, Unit)> {
    let o = &d.outcome;
    let n = |x: u32| Some(f64::from(x));
    vec![
        (
            lang.pick("清理前年检事项（项）", "Annual inspections before"),
            n(o.inspections_before),
            Unit::Count,
        ),
        (
            lang.pick("清理后年检事项（项）", "Annual inspections after"),
            n(o.inspections_after),
            Unit::Count,
        ),
        (
            lang.pick("取消的年检事项（项）", "Inspections cancelled"),
            n(o.inspections_cancelled),
            Unit::Count,
        ),
        (
            lang.pick(
                "年检事项取消比例（%）",
                "Share of inspections cancelled (%)",
            ),
            percent(o.share_cancelled),
            Unit::Percent,
        ),
        (
            lang.pick(
                "清理前每年一次的年检（项）",
                "Once-a-year inspections before",
            ),
            n(o.once_a_year_before),
            Unit::Count,
        ),
        (
            lang.pick(
                "清理后每年一次的年检（项）",
                "Once-a-year inspections after",
            ),
            n(o.once_a_year_after),
            Unit::Count,
        ),
        (
            lang.pick("清理前每年一次的比例（%）", "Share once a year before (%)"),
            percent(o.share_once_a_year_before),
            Unit::Percent,
        ),
        (
            lang.pick("清理后每年一次的比例（%）", "Share once a year after (%)"),
            percent(o.share_once_a_year_after),
            Unit::Percent,
        ),
        (
            lang.pick("清理前平均检验周期（月）", "Average cycle before (months)"),
            round1(o.average_cycle_before),
            Unit::Months,
        ),
        (
            lang.pick("清理后平均检验周期（月）", "Average cycle after (months)"),
            round1(o.average_cycle_after),
            Unit::Months,
        ),
        (
            lang.pick("延长检验周期（项）", "Cycles lengthened"),
            n(o.cycles_lengthened),
            Unit::Count,
        ),
        (
            lang.pick("改为年度报告公示（项）", "Converted to annual reports"),
            n(o.converted_to_annual_report),
            Unit::Count,
        ),
        (
            lang.pick("清理前指定培训（项）", "Designated trainings before"),
            n(o.trainings_before),
            Unit::Count,
        ),
        (
            lang.pick("清理后指定培训（项）", "Designated trainings after"),
            n(o.trainings_after),
            Unit::Count,
        ),
        (
            lang.pick("取消的指定培训（项）", "Trainings cancelled"),
            n(o.trainings_cancelled),
            Unit::Count,
        ),
        (
            lang.pick("规范的指定培训（项）", "Trainings standardised"),
            n(o.trainings_standardised),
            Unit::Count,
        ),
        (
            lang.pick("尚未决定的事项（项）", "Items not yet decided"),
            n(o.undecided),
            Unit::Count,
        ),
        (
            lang.pick("逾期部门（个）", "Departments overdue"),
            n(d.overdue),
            Unit::Count,
        ),
    ]
}

/// The definitions the figures rest on, in a clerk's words.
pub fn definitions(lang: Lang) -> &'static str {
    lang.pick(
        "“清理前”指各部门报送时的情况；“清理后”指按领导小组办公室当前决定计算：取消的事项不再计入，\
         改为年度报告公示的不再是年检，延长周期的按新周期计；尚未决定的事项按报送情况计入。\
         “每年一次”指检验周期为12个月及以下的年检；不定期的年检不计入比例的分子和平均周期。",
        "“Before” is as the departments submitted; “after” follows the office's current decisions: \
         cancelled items drop out, inspections converted to annual reports are no longer \
         inspections, an extended cycle counts at its new length, and items not yet decided \
         count as submitted. “Once a year” means a cycle of 12 months or less; irregular \
         inspections count neither as once a year nor in the average cycle.",
    )
}

/// The report upward of a round.
pub fn write(d: &Dashboard, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    summary(workbook.add_worksheet(), d, lang)?;
    departments(workbook.add_worksheet(), d, lang)?;
    for list in List::ALL {
        list_sheet(workbook.add_worksheet(), d, *list, lang)?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn report_title(d: &Dashboard, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}{}进展情况报告", d.region_name, d.round_name),
        Lang::En => format!("{}: progress report of {}", d.region_name, d.round_name),
    }
}

fn summary(sheet: &mut Worksheet, d: &Dashboard, lang: Lang) -> Result<(), ExportError> {
    let name = summary_sheet_name(lang);
    sheet.set_name(name)?;
    let mut t = Table::start(
        sheet,
        &report_title(d, lang),
        &[lang.pick("指标", "Figure"), lang.pick("数值", "Value")],
        lang,
    )?;
    for (label, value, _) in figures(d, lang) {
        t.text(0, label)?;
        match value {
            Some(v) => t.number(1, v)?,
            None => t.text(1, "—")?,
        }
        t.next_row();
    }
    t.text(0, lang.pick("统计时间", "Computed at"))?;
    t.text(1, &time::display(d.computed_at))?;
    t.next_row();
    t.text(0, lang.pick("口径说明", "Definitions"))?;
    t.text(1, definitions(lang))?;
    t.next_row();
    t.next_row();

    // The chart's data: before and after, by what is counted.
    let first = t.row;
    for (c, h) in [
        lang.pick("对比项", "Counted"),
        lang.pick("清理前", "Before"),
        lang.pick("清理后", "After"),
    ]
    .iter()
    .enumerate()
    {
        t.sheet
            .write_string_with_format(first, c as u16, *h, &header_format())?;
    }
    t.next_row();
    for (label, before, after) in outcome_rows(d, lang) {
        t.text(0, label)?;
        t.number(1, f64::from(before))?;
        t.number(2, f64::from(after))?;
        t.next_row();
    }
    let last = t.row - 1;
    t.next_row();

    // Items by kind and current decision.
    let header = header_format();
    t.sheet
        .write_string_with_format(t.row, 0, lang.pick("事项类型", "Kind"), &header)?;
    for c in 0..DECISION_COLUMNS {
        t.sheet
            .write_string_with_format(t.row, 1 + c as u16, decision_label(c, lang), &header)?;
    }
    t.sheet.write_string_with_format(
        t.row,
        1 + DECISION_COLUMNS as u16,
        lang.pick("合计", "Total"),
        &header,
    )?;
    t.next_row();
    for k in &d.kinds {
        t.text(0, k.label)?;
        for (c, n) in k.by_decision.iter().enumerate() {
            t.number(1 + c as u16, f64::from(*n))?;
        }
        t.number(1 + DECISION_COLUMNS as u16, f64::from(k.total))?;
        t.next_row();
    }
    let chart_row = t.row + 1;
    t.finish()?;
    // Column B holds the long definitions; keep it readable.
    sheet.set_column_width(1, 60)?;
    for c in 2..=DECISION_COLUMNS as u16 + 1 {
        sheet.set_column_width(c, 14)?;
    }

    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name(charts::Chart::Outcome.title(lang));
    for col in [1, 2] {
        chart
            .add_series()
            .set_name((name, first, col))
            .set_categories((name, first + 1, 0, last, 0))
            .set_values((name, first + 1, col, last, col));
    }
    sheet.insert_chart(chart_row, 0, &chart)?;
    Ok(())
}

fn department_headers(lang: Lang) -> Vec<&'static str> {
    let mut h = vec![
        lang.pick("部门编码", "Code"),
        lang.pick("部门", "Department"),
        lang.pick("行政区划", "Region"),
        lang.pick("状态", "State"),
        lang.pick("逾期", "Overdue"),
        lang.pick("事项", "Items"),
        lang.pick("年检", "Inspections"),
        lang.pick("指定培训", "Trainings"),
        lang.pick("有错误的事项", "Items with errors"),
    ];
    h.extend((0..DECISION_COLUMNS).map(|c| decision_label(c, lang)));
    h
}

/// The first column of the decision counts on the departments sheet.
const DECISION_FIRST_COL: u16 = 9;

fn departments(sheet: &mut Worksheet, d: &Dashboard, lang: Lang) -> Result<(), ExportError> {
    let name = departments_sheet_name(lang);
    sheet.set_name(name)?;
    let title = match lang {
        Lang::Zh => format!("{}各部门报送和处理情况", d.round_name),
        Lang::En => format!("{}: departments", d.round_name),
    };
    let mut t = Table::start(sheet, &title, &department_headers(lang), lang)?;
    for l in &d.departments {
        t.text(0, &l.code)?;
        t.text(1, &l.name)?;
        t.text(2, &l.region)?;
        t.text(3, l.state.label(lang))?;
        t.text(4, yes_no(l.overdue, lang))?;
        for (c, n) in [l.items, l.inspections, l.trainings, l.items_with_errors]
            .into_iter()
            .enumerate()
        {
            t.number(5 + c as u16, f64::from(n))?;
        }
        for (c, n) in l.by_decision.iter().enumerate() {
            t.number(DECISION_FIRST_COL + c as u16, f64::from(*n))?;
        }
        t.next_row();
    }
    let last = t.finish()?;
    if last >= 2 {
        let mut chart = Chart::new(ChartType::ColumnStacked);
        chart
            .title()
            .set_name(charts::Chart::Departments.title(lang));
        for c in 0..DECISION_COLUMNS as u16 {
            let col = DECISION_FIRST_COL + c;
            chart
                .add_series()
                .set_name((name, 1, col))
                .set_categories((name, 2, 1, last, 1))
                .set_values((name, 2, col, last, col));
        }
        sheet.insert_chart(last + 2, 1, &chart)?;
    }
    Ok(())
}

fn list_sheet(
    sheet: &mut Worksheet,
    d: &Dashboard,
    list: List,
    lang: Lang,
) -> Result<(), ExportError> {
    sheet.set_name(sheet_name(list, lang))?;
    let title = match lang {
        Lang::Zh => format!("{}{}（按当前决定）", d.region_name, list.zh()),
        Lang::En => format!(
            "{}: {} (current decisions)",
            d.region_name,
            capitalise(list.en())
        ),
    };
    let headers = [
        lang.pick("序号", "No."),
        lang.pick("部门", "Department"),
        lang.pick("事项名称", "Name"),
        lang.pick("涉及证照", "Licence"),
        lang.pick("原检验周期（月）", "Cycle before (months)"),
        lang.pick("调整后周期（月）", "Cycle after (months)"),
        lang.pick("处理决定", "Decision"),
        lang.pick("理由", "Rationale"),
    ];
    let mut t = Table::start(sheet, &title, &headers, lang)?;
    for (serial, item) in d.lists.iter().filter(|i| i.list == list).enumerate() {
        t.number(0, serial as f64 + 1.0)?;
        t.text(1, &item.department)?;
        t.text(2, &item.name)?;
        t.text(3, item.licence.as_deref().unwrap_or(""))?;
        t.optional(4, item.cycle_before)?;
        t.optional(5, item.cycle_after)?;
        t.text(6, item.disposition.label(lang))?;
        t.text(7, &item.rationale)?;
        t.next_row();
    }
    t.finish()?;
    Ok(())
}

/// The departments that have not submitted or still have errors, with their contacts.
pub fn reminders(d: &Dashboard, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(safe_sheet_name(reminders_sheet_name(lang)))?;
    let title = match lang {
        Lang::Zh => format!("{}催报名单", d.round_name),
        Lang::En => format!("{}: departments to remind", d.round_name),
    };
    let headers = reminder_headers(lang);
    let mut t = Table::start(sheet, &title, &headers, lang)?;
    for (i, l) in d.reminders().enumerate() {
        reminder_row(&mut t, i, l, lang)?;
        t.next_row();
    }
    t.finish()?;
    Ok(workbook.save_to_buffer()?)
}

fn reminder_headers(lang: Lang) -> [&'static str; 9] {
    [
        lang.pick("序号", "No."),
        lang.pick("部门", "Department"),
        lang.pick("行政区划", "Region"),
        lang.pick("状态", "State"),
        lang.pick("有错误的事项", "Items with errors"),
        lang.pick("逾期", "Overdue"),
        lang.pick("联系人", "Contact person"),
        lang.pick("联系电话", "Phone"),
        lang.pick("电子邮箱", "E-mail"),
    ]
}

fn reminder_row(
    t: &mut Table<'_>,
    i: usize,
    l: &DepartmentLine,
    lang: Lang,
) -> Result<(), ExportError> {
    t.number(0, i as f64 + 1.0)?;
    t.text(1, &l.name)?;
    t.text(2, &l.region)?;
    t.text(3, l.state.label(lang))?;
    t.number(4, f64::from(l.items_with_errors))?;
    t.text(5, yes_no(l.overdue, lang))?;
    t.text(6, l.contact_person.as_deref().unwrap_or(""))?;
    t.text(7, l.contact_phone.as_deref().unwrap_or(""))?;
    t.text(8, l.contact_email.as_deref().unwrap_or(""))?;
    Ok(())
}
