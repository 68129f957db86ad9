//! The columns of the published lists, once, as data: the xlsx sheets and the csv files read this
//! table (STYLE.md lesson 9). A cell is described by a [`Value`] that borrows from the item and
//! is rendered only when written, so measuring column widths allocates nothing.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::domain::publication::{List, PublishedItem};
use crate::domain::{Disposition, Kind, Lang, LegalBasis};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
}

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
    /// `cap`. Allocates nothing except for cycles, which are short.
    pub(crate) fn width(self, lang: Lang, cap: f64) -> f64 {
        match self {
            Value::Empty => 0.0,
            Value::Text(s) => text_width(s, cap),
            Value::Number(n) => {
                let mut s = String::new();
                push_number(n, &mut s);
                text_width(&s, cap)
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
                let mut s = String::new();
                push_cycle(months, lang, &mut s);
                text_width(&s, cap)
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
    let _ = match (months, lang) {
        (None, Lang::Zh) => write!(out, "不定期"),
        (None, Lang::En) => write!(out, "irregular"),
        (Some(m), Lang::Zh) if m > 0 && m % 12 == 0 => write!(out, "{}年", m / 12),
        (Some(m), Lang::Zh) => write!(out, "{m}个月"),
        (Some(12), Lang::En) => write!(out, "1 year"),
        (Some(m), Lang::En) if m > 0 && m % 12 == 0 => write!(out, "{} years", m / 12),
        (Some(1), Lang::En) => write!(out, "1 month"),
        (Some(m), Lang::En) => write!(out, "{m} months"),
    };
}

/// Whether a character takes two cells: CJK ideographs, kana, hangul, fullwidth forms and the
/// CJK punctuation (East Asian Wide and Fullwidth, in the ranges that occur in these lists).
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// The widest line of `s` in character cells, counting at most up to `cap` per line (a long
/// rationale is not walked to its end once it is known to be wider than any column may be).
pub(crate) fn text_width(s: &str, cap: f64) -> f64 {
    let mut widest: f64 = 0.0;
    for line in s.split('\n') {
        let mut w = 0.0;
        for c in line.chars() {
            w += if c.is_ascii() {
                1.0
            } else if is_wide(c) {
                2.0
            } else {
                1.0
            };
            if w >= cap {
                break;
            }
        }
        widest = widest.max(w);
        if widest >= cap {
            return cap;
        }
    }
    widest
}

/// One column of a list.
pub(crate) struct Column {
    pub zh: &'static str,
    pub en: &'static str,
    /// The widest the column may grow (Excel width units) before text wraps.
    pub max_width: f64,
    pub align: Align,
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
        Some(t) if !t.trim().is_empty() => Value::Text(t),
        _ => Value::Empty,
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
    ($zh:literal, $en:literal, $max:literal, $align:ident, $value:ident) => {
        Column {
            zh: $zh,
            en: $en,
            max_width: $max,
            align: Align::$align,
            value: $value,
        }
    };
}

const SERIAL: Column = col!("序号", "No.", 6.0, Center, serial);
const KIND: Column = col!("事项类型", "Type", 10.0, Center, kind);
const NAME: Column = col!("事项名称", "Name", 32.0, Left, name);
const DEPARTMENT: Column = col!("实施部门", "Department", 20.0, Left, department);
const LICENCE: Column = col!("涉及证照", "Licence or certificate", 22.0, Left, licence);
const INSPECTED: Column = col!("检验对象", "Inspected party", 18.0, Left, target);
const BASES: Column = col!("设定依据", "Legal basis", 40.0, Left, bases);
const CYCLE_BEFORE: Column = col!(
    "检验周期（原）",
    "Cycle (before)",
    12.0,
    Center,
    cycle_before
);
const CYCLE_AFTER: Column = col!(
    "检验周期（调整后）",
    "Cycle (after)",
    12.0,
    Center,
    cycle_after
);
const OUTCOME: Column = col!("处理结果", "Outcome", 12.0, Center, disposition);
const NOTES: Column = col!("说明", "Notes", 40.0, Left, rationale);

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
    col!("对象", "Inspected party or trainees", 18.0, Left, target),
    BASES,
    CYCLE_BEFORE,
    OUTCOME,
    NOTES,
];

const TRAININGS: &[Column] = &[
    SERIAL,
    col!("培训名称", "Training", 32.0, Left, name),
    DEPARTMENT,
    col!("挂钩环节", "Tied to", 12.0, Center, tied_to),
    col!("培训对象", "Trainees", 18.0, Left, target),
    BASES,
    col!("学时", "Hours", 8.0, Center, hours),
    col!("收费标准", "Fee", 16.0, Left, fee),
    col!("收费依据", "Fee basis", 24.0, Left, fee_basis),
    col!("培训机构", "Provider", 20.0, Left, provider),
    OUTCOME,
    NOTES,
];

/// All lists in one file (csv without a list): the list first, then every field once.
pub(crate) const COMBINED: &[Column] = &[
    col!("清单", "List", 20.0, Left, list),
    SERIAL,
    KIND,
    NAME,
    DEPARTMENT,
    LICENCE,
    col!("对象", "Inspected party or trainees", 18.0, Left, target),
    BASES,
    CYCLE_BEFORE,
    CYCLE_AFTER,
    col!("挂钩环节", "Tied to", 12.0, Center, tied_to),
    col!("学时", "Hours", 8.0, Center, hours),
    col!("收费标准", "Fee", 16.0, Left, fee),
    col!("收费依据", "Fee basis", 24.0, Left, fee_basis),
    col!("培训机构", "Provider", 20.0, Left, provider),
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
            (Some(18), "18个月", "18 months"),
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
        assert_eq!(Value::Bases(&bases).width(Lang::Zh, 100.0), 40.0);
        assert_eq!(Value::Bases(&bases).width(Lang::Zh, 30.0), 30.0);
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
        ];
        for (s, cap, want) in cases {
            assert_eq!(text_width(s, *cap), *want, "{s:?}");
        }
        let long = "年".repeat(5_000);
        assert_eq!(text_width(&long, 40.0), 40.0);
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
