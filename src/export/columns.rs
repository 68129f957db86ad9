//! The columns of the published lists, once, as data: the xlsx sheets and the csv files read this
//! table (STYLE.md lesson 9). A cell is described by a [`Value`] that borrows from the item and
//! is rendered only when written, so measuring column widths allocates nothing.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::domain::publication::{List, PublishedItem};
use crate::domain::{Disposition, Kind, Lang, LegalBasis};

/// One cell of a published item, not yet rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    /// 设定依据, one line per basis: `《title》article`.
    Bases(&'a [LegalBasis]),
    /// A cycle in months (`None`: irregular).
    Cycle(Option<u32>),
}

impl<'a> Value<'a> {
    /// The text of the cell, borrowed where the item already holds it. `None` for no value.
    pub(crate) fn text(self, lang: Lang) -> Option<Cow<'a, str>> {
        match self {
            Value::Empty => None,
            Value::Text(s) => Some(Cow::Borrowed(s)),
            other => {
                let mut out = String::new();
                other.render_into(lang, &mut out);
                Some(Cow::Owned(out))
            }
        }
    }

    /// Appends the rendered text to `out` (nothing for [`Value::Empty`]).
    pub(crate) fn render_into(self, lang: Lang, out: &mut String) {
        match self {
            Value::Empty => {}
            Value::Text(s) => out.push_str(s),
            Value::Number(n) => push_number(n, out),
            Value::Bases(bases) => {
                // 《》 are three bytes each, the line breaks one.
                out.reserve(
                    bases
                        .iter()
                        .map(|b| b.title.len() + b.article.as_deref().map_or(0, str::len) + 7)
                        .sum(),
                );
                for (i, b) in bases.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    push_basis(b, out);
                }
            }
            Value::Cycle(months) => push_cycle(months, lang, out),
        }
    }

    /// Display width in character cells (a CJK character counts 2), the widest line, at most
    /// `cap`. Numbers and cycles are rendered into `scratch`, so a whole column is measured
    /// without allocating.
    pub(crate) fn width(self, lang: Lang, cap: f64, scratch: &mut String) -> f64 {
        match self {
            Value::Empty => 0.0,
            Value::Text(s) => text_width(s, cap),
            Value::Number(n) => {
                scratch.clear();
                push_number(n, scratch);
                text_width(scratch, cap)
            }
            Value::Bases(bases) => bases
                .iter()
                .map(|b| {
                    let title = b.title.trim();
                    let brackets = if is_bracketed(title) { 0.0 } else { 4.0 };
                    text_width(title, cap)
                        + brackets
                        + b.article
                            .as_deref()
                            .map_or(0.0, |a| text_width(a.trim(), cap))
                })
                .fold(0.0, f64::max)
                .min(cap),
            Value::Cycle(months) => {
                scratch.clear();
                push_cycle(months, lang, scratch);
                text_width(scratch, cap)
            }
        }
    }
}

fn is_bracketed(title: &str) -> bool {
    title.starts_with('《') && title.ends_with('》')
}

fn push_basis(b: &LegalBasis, out: &mut String) {
    let title = b.title.trim();
    if is_bracketed(title) {
        out.push_str(title);
    } else {
        out.push('《');
        out.push_str(title);
        out.push('》');
    }
    if let Some(article) = b.article.as_deref().map(str::trim) {
        out.push_str(article);
    }
}

/// Whole numbers without a decimal point (`16`), others as Rust prints them (`16.5`).
fn push_number(n: f64, out: &mut String) {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        let _ = write!(out, "{}", n as i64);
    } else {
        let _ = write!(out, "{n}");
    }
}

/// A cycle as people read it: 12 → 1年, 24 → 2年, 6 → 6个月, 18 → 18个月, none → 不定期.
pub(crate) fn push_cycle(months: Option<u32>, lang: Lang, out: &mut String) {
    const YEARS_ZH: [&str; 10] = [
        "1年", "2年", "3年", "4年", "5年", "6年", "7年", "8年", "9年", "10年",
    ];
    const MONTHS_ZH: [&str; 11] = [
        "1个月", "2个月", "3个月", "4个月", "5个月", "6个月", "7个月", "8个月", "9个月", "10个月",
        "11个月",
    ];
    // The usual cycles without the formatting machinery: a large list has one per row.
    let common = match (months, lang) {
        (None, Lang::Zh) => Some("不定期"),
        (None, Lang::En) => Some("irregular"),
        (Some(12), Lang::En) => Some("1 year"),
        (Some(1), Lang::En) => Some("1 month"),
        (Some(m @ 12..=120), Lang::Zh) if m % 12 == 0 => Some(YEARS_ZH[(m / 12 - 1) as usize]),
        (Some(m @ 1..=11), Lang::Zh) => Some(MONTHS_ZH[(m - 1) as usize]),
        _ => None,
    };
    if let Some(text) = common {
        out.push_str(text);
        return;
    }
    let _ = match (months, lang) {
        (Some(m), Lang::Zh) if m > 0 && m % 12 == 0 => write!(out, "{}年", m / 12),
        (Some(m), Lang::En) if m > 0 && m % 12 == 0 => write!(out, "{} years", m / 12),
        (Some(m), Lang::Zh) => write!(out, "{m}个月"),
        (Some(m), Lang::En) => write!(out, "{m} months"),
        (None, _) => Ok(()),
    };
}

/// Character cells of a line: 1 per character, and one more for each character of three or
/// four bytes in UTF-8 (CJK ideographs, fullwidth forms and CJK punctuation: nearly everything
/// that long in these lists is wide). An estimate for widths and row heights, written as two
/// byte counts the compiler vectorises, because every cell of a large publication goes
/// through it.
fn cells(line: &[u8]) -> usize {
    // Byte-wide sums over chunks that cannot overflow them (127 × 2 < 256) vectorise well.
    line.chunks(127)
        .map(|chunk| {
            let n = chunk.iter().fold(0u8, |n, &b| {
                n + u8::from((b as i8) >= -0x40) + u8::from(b >= 0xE0)
            });
            usize::from(n)
        })
        .sum()
}

/// The widest line of `s` in character cells, at most `cap`.
pub(crate) fn text_width(s: &str, cap: f64) -> f64 {
    let widest = s
        .split('\n')
        .map(|line| cells(line.as_bytes()))
        .max()
        .unwrap_or(0);
    (widest as f64).min(cap)
}

/// About how many lines `s` takes wrapped in `avail` cells (CJK text wraps between any two
/// characters; the columns have two cells of padding beyond that for a wrapped line that ends
/// a cell short). Counts no further than `max`.
pub(crate) fn line_count(s: &str, avail: f64, max: u32) -> u32 {
    let per_line = avail.max(2.0) as usize;
    if !s.contains('\n') {
        // No character takes more cells than it has bytes: a short text fits on one line.
        if s.len() <= per_line {
            return 1;
        }
        return cells(s.as_bytes())
            .div_ceil(per_line)
            .clamp(1, max as usize) as u32;
    }
    let mut lines = 0;
    for line in s.split('\n') {
        lines += cells(line.as_bytes()).div_ceil(per_line).max(1);
        if lines >= max as usize {
            return max;
        }
    }
    lines as u32
}

/// One column of a list.
pub(crate) struct Column {
    pub zh: &'static str,
    pub en: &'static str,
    /// The widest the column may grow (Excel width units) before text wraps.
    pub max_width: f64,
    pub value: for<'a> fn(&'a PublishedItem, Lang) -> Value<'a>,
}

impl Column {
    pub(crate) fn header(&self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}

/// An optional text: blank or whitespace-only counts as missing.
fn opt(s: &Option<String>) -> Value<'_> {
    match s.as_deref() {
        Some(t) if !is_blank(t) => Value::Text(t),
        _ => Value::Empty,
    }
}

/// Empty or whitespace only; decided by the first byte for almost every text.
pub(crate) fn is_blank(t: &str) -> bool {
    match t.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii() => b.is_ascii_whitespace() && t.trim().is_empty(),
        // A lead byte of U+4000..U+9FFF, most of the CJK ideographs: not whitespace.
        Some(0xE4..=0xE9) => false,
        Some(_) => t.trim().is_empty(),
    }
}

fn serial(i: &PublishedItem, _: Lang) -> Value<'_> {
    Value::Number(f64::from(i.serial))
}
fn kind(i: &PublishedItem, lang: Lang) -> Value<'_> {
    Value::Text(i.kind.label(lang))
}
fn name(i: &PublishedItem, _: Lang) -> Value<'_> {
    Value::Text(&i.name)
}
fn department(i: &PublishedItem, _: Lang) -> Value<'_> {
    Value::Text(&i.department)
}
fn licence(i: &PublishedItem, _: Lang) -> Value<'_> {
    opt(&i.licence)
}
fn target(i: &PublishedItem, _: Lang) -> Value<'_> {
    opt(&i.target)
}
fn bases(i: &PublishedItem, _: Lang) -> Value<'_> {
    if i.legal_bases.is_empty() {
        Value::Empty
    } else {
        Value::Bases(&i.legal_bases)
    }
}
/// The cycle before the clean-up; where it was irregular, the department's own words if any.
fn cycle_before(i: &PublishedItem, _: Lang) -> Value<'_> {
    match (i.kind, i.cycle_months_before) {
        (Kind::Training, _) => Value::Empty,
        (Kind::Inspection, Some(m)) => Value::Cycle(Some(m)),
        (Kind::Inspection, None) => match opt(&i.cycle_text) {
            Value::Empty => Value::Cycle(None),
            text => text,
        },
    }
}
/// The cycle after the decision: only an inspection that stays an inspection has one.
fn cycle_after(i: &PublishedItem, _: Lang) -> Value<'_> {
    match (i.kind, i.disposition) {
        (Kind::Inspection, Disposition::Cancel | Disposition::ConvertToAnnualReport) => {
            Value::Empty
        }
        (Kind::Inspection, _) => Value::Cycle(i.cycle_months),
        (Kind::Training, _) => Value::Empty,
    }
}
fn disposition(i: &PublishedItem, lang: Lang) -> Value<'_> {
    Value::Text(i.disposition.label(lang))
}
fn rationale(i: &PublishedItem, _: Lang) -> Value<'_> {
    opt(&i.rationale)
}
fn tied_to(i: &PublishedItem, lang: Lang) -> Value<'_> {
    i.tied_to
        .map_or(Value::Empty, |t| Value::Text(t.label(lang)))
}
fn hours(i: &PublishedItem, _: Lang) -> Value<'_> {
    i.hours.map_or(Value::Empty, Value::Number)
}
fn fee(i: &PublishedItem, _: Lang) -> Value<'_> {
    opt(&i.fee)
}
fn fee_basis(i: &PublishedItem, _: Lang) -> Value<'_> {
    opt(&i.fee_basis)
}
fn provider(i: &PublishedItem, _: Lang) -> Value<'_> {
    opt(&i.provider)
}
fn list(i: &PublishedItem, lang: Lang) -> Value<'_> {
    Value::Text(i.list.label(lang))
}

macro_rules! col {
    ($zh:literal, $en:literal, $max:literal, $value:ident) => {
        Column {
            zh: $zh,
            en: $en,
            max_width: $max,
            value: $value,
        }
    };
}

const SERIAL: Column = col!("序号", "No.", 6.0, serial);
const KIND: Column = col!("事项类型", "Type", 10.0, kind);
const NAME: Column = col!("事项名称", "Name", 32.0, name);
const DEPARTMENT: Column = col!("实施部门", "Department", 20.0, department);
const LICENCE: Column = col!("涉及证照", "Licence or certificate", 22.0, licence);
const INSPECTED: Column = col!("检验对象", "Inspected party", 18.0, target);
const BASES: Column = col!("设定依据", "Legal basis", 40.0, bases);
const CYCLE_BEFORE: Column = col!("检验周期（原）", "Cycle (before)", 12.0, cycle_before);
const CYCLE_AFTER: Column = col!("检验周期（调整后）", "Cycle (after)", 12.0, cycle_after);
const OUTCOME: Column = col!("处理结果", "Outcome", 12.0, disposition);
const NOTES: Column = col!("说明", "Notes", 40.0, rationale);

/// Retained inspections (the list the plan requires published).
const RETAINED: &[Column] = &[
    SERIAL,
    NAME,
    DEPARTMENT,
    LICENCE,
    INSPECTED,
    BASES,
    CYCLE_BEFORE,
    CYCLE_AFTER,
    OUTCOME,
    NOTES,
];

/// Converted to annual reports: no inspection cycle after the decision, so no such column.
const CONVERTED: &[Column] = &[
    SERIAL,
    NAME,
    DEPARTMENT,
    LICENCE,
    INSPECTED,
    BASES,
    CYCLE_BEFORE,
    OUTCOME,
    NOTES,
];

/// Cancelled items hold inspections and trainings alike, hence the type column.
const CANCELLED: &[Column] = &[
    SERIAL,
    KIND,
    NAME,
    DEPARTMENT,
    LICENCE,
    col!("对象", "Inspected party or trainees", 18.0, target),
    BASES,
    CYCLE_BEFORE,
    OUTCOME,
    NOTES,
];

const TRAININGS: &[Column] = &[
    SERIAL,
    col!("培训名称", "Training", 32.0, name),
    DEPARTMENT,
    col!("挂钩环节", "Tied to", 12.0, tied_to),
    col!("培训对象", "Trainees", 18.0, target),
    BASES,
    col!("学时", "Hours", 8.0, hours),
    col!("收费标准", "Fee", 16.0, fee),
    col!("收费依据", "Fee basis", 24.0, fee_basis),
    col!("培训机构", "Provider", 20.0, provider),
    OUTCOME,
    NOTES,
];

/// All lists in one file (csv without a list): the list first, then every field once.
pub(crate) const COMBINED: &[Column] = &[
    col!("清单", "List", 20.0, list),
    SERIAL,
    KIND,
    NAME,
    DEPARTMENT,
    LICENCE,
    col!("对象", "Inspected party or trainees", 18.0, target),
    BASES,
    CYCLE_BEFORE,
    CYCLE_AFTER,
    col!("挂钩环节", "Tied to", 12.0, tied_to),
    col!("学时", "Hours", 8.0, hours),
    col!("收费标准", "Fee", 16.0, fee),
    col!("收费依据", "Fee basis", 24.0, fee_basis),
    col!("培训机构", "Provider", 20.0, provider),
    OUTCOME,
    NOTES,
];

/// The columns of one list.
pub(crate) fn of(list: List) -> &'static [Column] {
    match list {
        List::Retained => RETAINED,
        List::Converted => CONVERTED,
        List::Cancelled => CANCELLED,
        List::Trainings => TRAININGS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BasisLevel;

    fn basis(title: &str, article: Option<&str>) -> LegalBasis {
        LegalBasis {
            level: Some(BasisLevel::Law),
            title: title.into(),
            article: article.map(Into::into),
            issuer: None,
            level_inferred: false,
        }
    }

    #[test]
    fn cycles_read_as_people_read_them() {
        let cases: &[(Option<u32>, &str, &str)] = &[
            (Some(12), "1年", "1 year"),
            (Some(24), "2年", "2 years"),
            (Some(36), "3年", "3 years"),
            (Some(6), "6个月", "6 months"),
            (Some(11), "11个月", "11 months"),
            (Some(18), "18个月", "18 months"),
            (Some(120), "10年", "10 years"),
            (Some(132), "11年", "11 years"),
            (Some(0), "0个月", "0 months"),
            (Some(1), "1个月", "1 month"),
            (None, "不定期", "irregular"),
        ];
        for (months, zh, en) in cases {
            let mut s = String::new();
            push_cycle(*months, Lang::Zh, &mut s);
            assert_eq!(s, *zh, "{months:?}");
            let mut s = String::new();
            push_cycle(*months, Lang::En, &mut s);
            assert_eq!(s, *en, "{months:?}");
        }
    }

    #[test]
    fn bases_join_one_per_line_without_doubling_brackets() {
        let bases = [
            basis("中华人民共和国道路运输条例", Some("第六十七条")),
            basis("《山东省道路运输条例》", None),
        ];
        let text = Value::Bases(&bases).text(Lang::Zh).unwrap_or_default();
        assert_eq!(
            text,
            "《中华人民共和国道路运输条例》第六十七条\n《山东省道路运输条例》"
        );
        // The width is that of the longer line: 20 CJK characters with the brackets.
        let scratch = &mut String::new();
        assert_eq!(Value::Bases(&bases).width(Lang::Zh, 100.0, scratch), 40.0);
        assert_eq!(Value::Bases(&bases).width(Lang::Zh, 30.0, scratch), 30.0);
    }

    #[test]
    fn widths_count_cjk_twice_and_stop_at_the_cap() {
        let cases: &[(&str, f64, f64)] = &[
            ("", 50.0, 0.0),
            ("abc", 50.0, 3.0),
            ("年检", 50.0, 4.0),
            ("（第3版）", 50.0, 9.0),
            ("ab\n年检事项", 50.0, 8.0),
            ("é", 50.0, 1.0),
            ("𠀀", 50.0, 2.0),
            ("一二三四五六七八九十", 7.0, 7.0),
            // General punctuation is three bytes too: counted wide, a little generous.
            ("“引号”…", 50.0, 10.0),
        ];
        for (s, cap, want) in cases {
            assert_eq!(text_width(s, *cap), *want, "{s:?}");
        }
        let long = "年".repeat(5_000);
        assert_eq!(text_width(&long, 40.0), 40.0);
    }

    #[test]
    fn blank_texts_are_missing() {
        for (t, blank) in [
            ("", true),
            (" ", true),
            ("\u{3000}\t", true),
            ("年检", false),
            (" a ", false),
        ] {
            assert_eq!(is_blank(t), blank, "{t:?}");
            assert_eq!(opt(&Some(t.to_owned())) == Value::Empty, blank, "{t:?}");
        }
        assert_eq!(opt(&None), Value::Empty);
    }

    #[test]
    fn numbers_and_cycles_are_measured_as_rendered() {
        let scratch = &mut String::new();
        assert_eq!(Value::Number(123.0).width(Lang::Zh, 10.0, scratch), 3.0);
        assert_eq!(Value::Cycle(Some(24)).width(Lang::Zh, 10.0, scratch), 3.0);
        assert_eq!(Value::Cycle(None).width(Lang::Zh, 10.0, scratch), 6.0);
        assert_eq!(Value::Cycle(Some(6)).width(Lang::En, 10.0, scratch), 8.0);
    }

    #[test]
    fn line_counts_wrap_like_cjk_text() {
        let cases: &[(&str, f64, u32)] = &[
            ("", 10.0, 1),
            ("年检", 10.0, 1),
            ("一二三四五", 10.0, 1),
            ("一二三四五六", 10.0, 2),
            ("一二三四五六七八九十", 10.0, 2),
            ("一二三四五六七八九十一", 10.0, 3),
            ("a\nb\nc", 10.0, 3),
            ("a\n\nb", 10.0, 3),
            ("abcdefghij", 10.0, 1),
            ("abcdefghijk", 10.0, 2),
        ];
        for (s, avail, want) in cases {
            assert_eq!(line_count(s, *avail, 100), *want, "{s:?}");
        }
        assert_eq!(line_count(&"年".repeat(5_000), 40.0, 27), 27);
    }

    #[test]
    fn numbers_without_needless_decimals() {
        for (n, want) in [(16.0, "16"), (16.5, "16.5"), (0.0, "0")] {
            assert_eq!(Value::Number(n).text(Lang::Zh).unwrap_or_default(), want);
        }
    }

    #[test]
    fn every_list_has_its_columns_and_headers_in_both_languages() {
        for list in List::ALL {
            let cols = of(*list);
            assert_eq!(cols[0].zh, "序号");
            assert!(cols.iter().all(|c| !c.en.is_empty() && c.max_width >= 6.0));
        }
        assert_eq!(COMBINED[0].zh, "清单");
    }
}
