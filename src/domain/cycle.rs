//! Inspection cycles (检验周期) as people write them, read into months.
//!
//! `每年一次`, `两年一检`, `每半年`, `24个月`, `1次/年`, `annually`, a bare `2` under a header that
//! says 年 … all become a number of months; `不定期` and its kin become "irregular" (`None`).

use super::Lang;
use super::text::{clean, lowercase, parse_chinese_int, parse_plain_decimal, to_simplified};

/// The unit of a bare number in the cycle column, taken from its header (检验周期（月）/（年）).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareUnit {
    Months,
    Years,
}

impl BareUnit {
    fn months(self) -> f64 {
        match self {
            BareUnit::Months => 1.0,
            BareUnit::Years => 12.0,
        }
    }

    /// The unit a cycle header names, if it names one: `检验周期（月）`, `检验周期(年)`,
    /// `检验周期（单位：月）`, `周期月数`, `Cycle (years)`, `cycle_months`. `None` for a header
    /// that names no unit, such as `检验周期` or `年检周期`.
    pub fn from_header(header: &str) -> Option<BareUnit> {
        let h = to_simplified(&clean(header)).to_lowercase();
        let h: String = h.chars().filter(|c| !c.is_whitespace()).collect();
        let inner = match (h.rfind('('), h.ends_with(')')) {
            (Some(i), true) => h[i + 1..h.len() - 1].to_string(),
            _ => match h.find("单位") {
                Some(i) => h[i + "单位".len()..].to_string(),
                None => h.clone(),
            },
        };
        let inner = inner.strip_prefix("单位").unwrap_or(&inner);
        let inner = inner.trim_start_matches([':', '为', '是']);
        match inner {
            "月" | "个月" | "月数" | "月份数" | "months" | "month" | "mo" => {
                return Some(BareUnit::Months);
            }
            "年" | "年数" | "years" | "year" | "yr" | "yrs" => return Some(BareUnit::Years),
            _ => {}
        }
        if h.ends_with("月数") || h.ends_with("个月数") || h.ends_with("_months") {
            Some(BareUnit::Months)
        } else if h.ends_with("年数") || h.ends_with("_years") {
            Some(BareUnit::Years)
        } else {
            None
        }
    }
}

/// Why a cycle cell could not be read. `text` is the cell as the clerk wrote it (cleaned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleError {
    pub text: String,
    pub code: &'static str,
}

/// Nothing in the text reads as a cycle.
pub const CYCLE_UNREADABLE: &str = "cycle_unreadable";
/// A bare number under a header that names no unit.
pub const CYCLE_NEEDS_UNIT: &str = "cycle_needs_unit";
/// Zero, negative, not a whole number of months, or longer than [`MAX_MONTHS`].
pub const CYCLE_OUT_OF_RANGE: &str = "cycle_out_of_range";
/// Ten years: no inspection cycle in the catalogues is longer, so more is a typing slip.
pub const MAX_MONTHS: u32 = 120;

impl CycleError {
    fn new(text: &str, code: &'static str) -> CycleError {
        CycleError {
            text: text.to_string(),
            code,
        }
    }

    /// What the clerk reads next to the cell.
    pub fn message(&self, lang: Lang) -> String {
        let t = &self.text;
        match (self.code, lang) {
            (CYCLE_NEEDS_UNIT, Lang::Zh) => format!(
                "检验周期“{t}”没有单位，请写明如“{t}年”或“{t}个月”，或在表头注明单位，如“检验周期（年）”"
            ),
            (CYCLE_NEEDS_UNIT, Lang::En) => format!(
                "The inspection cycle \"{t}\" has no unit: write \"{t}年\" (years) or \"{t}个月\" (months), or name the unit in the header, e.g. \"检验周期（年）\""
            ),
            (CYCLE_OUT_OF_RANGE, Lang::Zh) => format!(
                "检验周期“{t}”超出范围：须为1至{MAX_MONTHS}个月（10年）之间的整月数，不定期的请填“不定期”"
            ),
            (CYCLE_OUT_OF_RANGE, Lang::En) => format!(
                "The inspection cycle \"{t}\" is out of range: it must be a whole number of months from 1 to {MAX_MONTHS} (10 years); write \"不定期\" for an irregular inspection"
            ),
            (_, Lang::Zh) if t.is_empty() => {
                "检验周期未填写，请填写如“每年一次”“2年”“24个月”或“不定期”".to_string()
            }
            (_, Lang::En) if t.is_empty() => {
                "The inspection cycle is empty: write it like \"每年一次\" (every year), \"2年\" (2 years), \"24个月\" (24 months) or \"不定期\" (irregular)".to_string()
            }
            (_, Lang::Zh) => format!(
                "无法识别检验周期“{t}”，请填写如“每年一次”“2年”“24个月”或“不定期”"
            ),
            (_, Lang::En) => format!(
                "Cannot read the inspection cycle \"{t}\": write it like \"每年一次\" (every year), \"2年\" (2 years), \"24个月\" (24 months) or \"不定期\" (irregular)"
            ),
        }
    }
}

impl std::fmt::Display for CycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::Zh))
    }
}

impl std::error::Error for CycleError {}

/// Months between inspections; `Ok(None)` for an irregular inspection (不定期, 按需, 随机抽查,
/// 视情况 …). A bare number (`2`, `2.0` from a numeric cell) is read in `bare_unit`, which the
/// caller takes from the header with [`BareUnit::from_header`]; without one it is
/// `cycle_needs_unit`. An empty text is `cycle_unreadable` (the caller decides first whether the
/// column is required). The result is always a whole number of months in `1..=120`.
pub fn parse_cycle(text: &str, bare_unit: Option<BareUnit>) -> Result<Option<u32>, CycleError> {
    let written = clean(text);
    let unreadable = || CycleError::new(&written, CYCLE_UNREADABLE);
    let lower = lowercase(&to_simplified(&written));
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = remove_groups(&compact);
    let compact = compact.trim_matches(is_edge_punct).to_string();
    if compact.is_empty() {
        return Err(unreadable());
    }

    if let Some(n) = bare_number(&compact) {
        return match bare_unit {
            None => Err(CycleError::new(&written, CYCLE_NEEDS_UNIT)),
            Some(unit) => whole_months(n * unit.months(), &written).map(Some),
        };
    }

    let months = if compact.chars().any(|c| c.is_ascii_alphabetic()) {
        if is_irregular_en(&lower) {
            return Ok(None);
        }
        parse_en(&lower)
    } else {
        match read_zh(&compact) {
            Reading::Months(m) => Some(m),
            Reading::Irregular => return Ok(None),
            Reading::Unreadable => None,
        }
    };
    match months {
        Some(m) => whole_months(m, &written).map(Some),
        None => Err(unreadable()),
    }
}

/// What a Chinese cycle text says.
enum Reading {
    Months(f64),
    Irregular,
    Unreadable,
}

fn read_zh(s: &str) -> Reading {
    // The order matters: a cycle before a remark about spot checks (每年一次，必要时不定期抽查)
    // is a cycle; a text that is irregular in its first clause is irregular.
    if let Some(m) = parse_zh(s) {
        return Reading::Months(m);
    }
    let first = s
        .split([',', ';', '、', '。', '\n', ':'])
        .find(|p| !p.is_empty())
        .unwrap_or("");
    if is_irregular_zh(first) {
        return Reading::Irregular;
    }
    if let Some(m) = parse_zh(first) {
        return Reading::Months(m);
    }
    if is_irregular_zh(s) {
        return Reading::Irregular;
    }
    // 取得证书后每2年一次, 6年内每2年一次，超过6年每年一次: read from the first 每, in the first
    // clause if it has one.
    for clause in [first, s] {
        if let Some(i) = clause.find('每')
            && i > 0
            && let Some(m) = parse_zh(&clause[i..])
        {
            return Reading::Months(m);
        }
    }
    Reading::Unreadable
}

fn whole_months(m: f64, written: &str) -> Result<u32, CycleError> {
    let out = || CycleError::new(written, CYCLE_OUT_OF_RANGE);
    if !m.is_finite() || m <= 0.0 {
        return Err(out());
    }
    let r = m.round();
    if (m - r).abs() > 1e-6 || r < 1.0 || r > f64::from(MAX_MONTHS) {
        return Err(out());
    }
    // In 1..=120 and whole, so the cast is exact.
    Ok(r as u32)
}

fn is_edge_punct(c: char) -> bool {
    matches!(
        c,
        '。' | '.' | ',' | ';' | ':' | '!' | '?' | '、' | '…' | '"' | '“' | '”' | '\''
    )
}

/// Removes every bracketed remark; keeps the inside when nothing else is left
/// (`（每年一次）` → `每年一次`).
fn remove_groups(s: &str) -> String {
    let mut out = String::new();
    let mut inner = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '{' => {
                depth += 1;
            }
            ')' | ']' | '】' | '〕' | '}' if depth > 0 => {
                depth -= 1;
            }
            _ if depth > 0 => inner.push(c),
            _ => out.push(c),
        }
    }
    if out.trim_matches(is_edge_punct).is_empty() {
        inner
    } else {
        out
    }
}

/// A number and nothing else: `2`, `2.0`, `0.5`, `-1`, `二`.
fn bare_number(s: &str) -> Option<f64> {
    if let Some(v) = parse_plain_decimal(s) {
        return Some(v);
    }
    if s.chars().all(is_zh_numeral_char) {
        return parse_chinese_int(s).map(f64::from);
    }
    None
}

const IRREGULAR_ZH: &[&str] = &[
    "不定期",
    "不定时",
    "不固定",
    "无固定",
    "没有固定",
    "非固定",
    "按需",
    "根据需要",
    "视需要",
    "需要时",
    "必要时",
    "随机",
    "视情况",
    "视具体情况",
    "根据情况",
    "根据实际",
    "按实际",
    "临时",
];

fn is_irregular_zh(s: &str) -> bool {
    IRREGULAR_ZH.iter().any(|w| s.contains(w))
}

fn is_irregular_en(s: &str) -> bool {
    [
        "irregular",
        "as needed",
        "as required",
        "when needed",
        "when required",
        "if needed",
        "on demand",
        "ad hoc",
        "ad-hoc",
        "random",
        "occasional",
        "not fixed",
        "no fixed",
        "unscheduled",
    ]
    .iter()
    .any(|w| s.contains(w))
}

fn is_zh_numeral_char(c: char) -> bool {
    matches!(
        c,
        '〇' | '零'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '壹'
            | '贰'
            | '叁'
            | '肆'
            | '伍'
            | '陆'
            | '柒'
            | '捌'
            | '玖'
            | '拾'
    )
}

/// Reads a number at the start of `s`: Arabic (with a decimal point), Chinese, or 半.
/// Returns the value and the rest.
fn take_number(s: &str) -> Option<(f64, &str)> {
    if let Some(rest) = s.strip_prefix('半') {
        return Some((0.5, rest));
    }
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .map_or(s.len(), |(i, _)| i);
    if end > 0 {
        let v = parse_plain_decimal(&s[..end])?;
        return Some((v, &s[end..]));
    }
    let end = s
        .char_indices()
        .find(|&(_, c)| !is_zh_numeral_char(c))
        .map_or(s.len(), |(i, _)| i);
    if end > 0 {
        let v = parse_chinese_int(&s[..end])?;
        return Some((f64::from(v), &s[end..]));
    }
    None
}

/// Units in months, longest spelling first.
const UNITS_ZH: &[(&str, f64)] = &[
    ("个自然年", 12.0),
    ("个年度", 12.0),
    ("个季度", 3.0),
    ("个星期", 7.0 / DAYS_PER_MONTH),
    ("个礼拜", 7.0 / DAYS_PER_MONTH),
    ("个月", 1.0),
    ("自然年", 12.0),
    ("年度", 12.0),
    ("周年", 12.0),
    ("季度", 3.0),
    ("月度", 1.0),
    ("星期", 7.0 / DAYS_PER_MONTH),
    ("礼拜", 7.0 / DAYS_PER_MONTH),
    ("年", 12.0),
    ("季", 3.0),
    ("月", 1.0),
    ("周", 7.0 / DAYS_PER_MONTH),
    ("天", 1.0 / DAYS_PER_MONTH),
    ("日", 1.0 / DAYS_PER_MONTH),
];

/// 365/12, so that 365天 and 730天 come out as whole months and 7天 does not.
const DAYS_PER_MONTH: f64 = 365.0 / 12.0;

fn take_unit(s: &str) -> Option<(f64, &str)> {
    UNITS_ZH
        .iter()
        .find_map(|(u, m)| s.strip_prefix(u).map(|rest| (*m, rest)))
}

/// Words that may stand before the period: 检验周期为, 每, 每隔, 按 …
const PREFIXES_ZH: &[&str] = &[
    "检验周期为",
    "检验周期是",
    "检验周期",
    "检查周期",
    "年检周期",
    "周期为",
    "周期是",
    "周期",
    "原则上",
    "一般为",
    "一般",
    "通常为",
    "通常",
    "规定",
    "要求",
    "需",
    "应",
    "为",
    "是",
    "约",
    "按照",
    "按",
    "每隔",
    "间隔",
    "每",
    "逢",
];

/// Verbs and fillers after the period: 一年[检验]一次, 每年[至少]一次.
const FILLERS_ZH: &[&str] = &[
    "至少",
    "最少",
    "不少于",
    "不低于",
    "不超过",
    "进行",
    "开展",
    "办理",
    "组织",
    "接受",
    "参加",
    "实施",
    "执行",
    "定期",
    "检验",
    "检测",
    "检查",
    "审验",
    "核验",
    "校验",
    "年检",
    "年审",
    "复审",
    "复检",
    "复核",
    "审核",
    "考核",
    "验证",
    "申报",
    "报告",
    "一般",
];

/// Reads one Chinese cycle expression; `None` when it is not one.
fn parse_zh(s: &str) -> Option<f64> {
    let mut s = s.trim_matches(is_edge_punct);
    // 隔年 (every other year) before the prefixes, which would read 隔 as 每隔.
    let mut every_other = false;
    let mut stripped = true;
    while stripped {
        stripped = false;
        if let Some(rest) = s.strip_prefix("隔年") {
            every_other = true;
            s = rest;
            break;
        }
        for p in PREFIXES_ZH {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest;
                stripped = true;
                break;
            }
        }
    }
    if every_other {
        return frequency(s).map(|n| 24.0 / n);
    }

    // 1次/年, 2次/3年, 2年/次.
    if let Some((a, b)) = s.split_once('/') {
        if b == "次" || b == "一次" {
            return parse_zh(a);
        }
        let n = a.strip_suffix('次').and_then(|x| {
            if x.is_empty() {
                Some(1.0)
            } else {
                take_number(x).filter(|(_, r)| r.is_empty()).map(|(v, _)| v)
            }
        })?;
        let period = period_only(b.strip_prefix('每').unwrap_or(b))?;
        return (n > 0.0).then(|| period / n);
    }

    let (number, rest) = match take_number(s) {
        Some((v, rest)) => (Some(v), rest),
        None => (None, s),
    };
    let (unit, rest) = take_unit(rest)?;
    let mut period = number.unwrap_or(1.0) * unit;
    let mut rest = rest;
    if unit == 12.0 {
        // 一年半; 1年6个月 / 一年零六个月.
        if let Some(r) = rest.strip_prefix('半') {
            number?;
            period += 6.0;
            rest = r;
        } else {
            let r = rest.strip_prefix('零').unwrap_or(rest);
            if let Some((m, r2)) = take_number(r)
                && let Some(r3) = r2.strip_prefix("个月")
            {
                number?;
                period += m;
                rest = r3;
            }
        }
        // 每年3月份, 每年6月30日前: a date in the year, so once a year.
        if number.is_none()
            && let Some((_, r)) = take_number(rest)
            && r.starts_with('月')
            && !r.starts_with("月度")
        {
            return Some(period);
        }
    }
    frequency(rest).map(|n| period / n)
}

/// A period with no frequency: `年`, `3年`, `半年`.
fn period_only(s: &str) -> Option<f64> {
    let (number, rest) = match take_number(s) {
        Some((v, rest)) => (Some(v), rest),
        None => (None, s),
    };
    let (unit, rest) = take_unit(rest)?;
    rest.is_empty().then(|| number.unwrap_or(1.0) * unit)
}

/// How many times per period the rest says: `` (once), `一次`, `两次`, `一检`, `检验一次`.
fn frequency(rest: &str) -> Option<f64> {
    let mut r = rest.to_string();
    for f in FILLERS_ZH {
        if r.contains(f) {
            r = r.replace(f, "");
        }
    }
    let mut r = r.trim_matches(is_edge_punct);
    if r.is_empty() {
        return Some(1.0);
    }
    // 两年检一次: a one-character verb before the count.
    if let Some(rest) = r.strip_prefix(['检', '审', '验', '查'])
        && !rest.is_empty()
    {
        r = rest;
    }
    let (n, tail) = match take_number(r) {
        Some((v, tail)) => (v, tail),
        None => (1.0, r),
    };
    let tail = tail.strip_prefix('个').unwrap_or(tail);
    match tail {
        "次" | "检" | "审" | "验" | "回" | "轮" | "遍" | "换证" | "换" | "" if n >= 1.0 =>
        {
            // A number needs its marker (每年2 is not 每年两次); a marker may stand alone (年审).
            if tail.is_empty() && r != tail {
                None
            } else {
                Some(n)
            }
        }
        _ => None,
    }
}

fn en_number(w: &str) -> Option<f64> {
    Some(match w {
        "a" | "an" | "one" | "once" => 1.0,
        "two" | "twice" => 2.0,
        "three" | "thrice" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "eleven" => 11.0,
        "twelve" => 12.0,
        "half" => 0.5,
        _ => return parse_plain_decimal(w),
    })
}

fn en_unit(w: &str) -> Option<f64> {
    Some(match w {
        "year" | "years" | "yr" | "yrs" | "y" => 12.0,
        "month" | "months" | "mo" | "mos" | "mth" | "mths" | "m" => 1.0,
        "quarter" | "quarters" => 3.0,
        "week" | "weeks" | "wk" | "wks" => 7.0 / DAYS_PER_MONTH,
        "day" | "days" | "d" => 1.0 / DAYS_PER_MONTH,
        _ => return None,
    })
}

fn parse_en(s: &str) -> Option<f64> {
    let spaced: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut words: Vec<&str> = spaced
        .split_whitespace()
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    // 2years, 24months, 12m
    let mut split_words: Vec<String> = Vec::new();
    for w in &words {
        let digits = w
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
            .map_or(w.len(), |(i, _)| i);
        if digits > 0 && digits < w.len() {
            split_words.push(w[..digits].to_string());
            split_words.push(w[digits..].to_string());
        } else {
            split_words.push((*w).to_string());
        }
    }
    split_words.retain(|w| {
        !matches!(
            w.as_str(),
            "inspection"
                | "inspections"
                | "inspected"
                | "check"
                | "checked"
                | "cycle"
                | "is"
                | "of"
                | "the"
        )
    });
    let compact: String = split_words.concat();
    let whole = match compact.as_str() {
        "annually" | "annual" | "yearly" | "everyyear" | "eachyear" | "peryear" => Some(12.0),
        "semiannually" | "semiannual" | "halfyearly" | "biannually" | "biannual"
        | "everyhalfyear" | "everyhalfayear" => Some(6.0),
        "quarterly" | "everyquarter" | "eachquarter" | "perquarter" => Some(3.0),
        "monthly" | "everymonth" | "eachmonth" | "permonth" => Some(1.0),
        "biennially" | "biennial" | "everyotheryear" | "everysecondyear" => Some(24.0),
        "triennially" | "triennial" => Some(36.0),
        _ => None,
    };
    if whole.is_some() {
        return whole;
    }
    words = split_words.iter().map(String::as_str).collect();

    // once a year, twice per year, 3 times every 2 years, once every 6 months
    let mut i = 0;
    let mut times = 1.0;
    if let Some(first) = words.first() {
        let n = match *first {
            "once" => Some(1.0),
            "twice" => Some(2.0),
            "thrice" => Some(3.0),
            _ if words.get(1) == Some(&"times") || words.get(1) == Some(&"time") => {
                en_number(first)
            }
            _ => None,
        };
        if let Some(n) = n {
            times = n;
            i = if matches!(words.get(1), Some(&"times") | Some(&"time")) {
                2
            } else {
                1
            };
        }
    }
    if matches!(words.get(i), Some(&"a") | Some(&"an")) && words.len() == i + 2 {
        // "once a year": the article is the period's one.
        i += 1;
        let unit = en_unit(words.get(i)?)?;
        return Some(unit / times);
    }
    while matches!(
        words.get(i),
        Some(&"every") | Some(&"each") | Some(&"per") | Some(&"in")
    ) {
        i += 1;
    }
    let (n, j) = match words.get(i).and_then(|w| en_number(w)) {
        Some(n) if words.get(i + 1).and_then(|w| en_unit(w)).is_some() => (n, i + 1),
        _ => (1.0, i),
    };
    let unit = en_unit(words.get(j)?)?;
    if j + 1 != words.len() || times <= 0.0 {
        return None;
    }
    Some(n * unit / times)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Option<BareUnit> = Some(BareUnit::Months);
    const Y: Option<BareUnit> = Some(BareUnit::Years);

    /// What a cell should give.
    #[derive(Debug, PartialEq)]
    enum Want {
        Months(u32),
        Irregular,
        Fails(&'static str),
    }
    use Want::*;

    fn run(text: &str, unit: Option<BareUnit>) -> Want {
        match parse_cycle(text, unit) {
            Ok(Some(m)) => Months(m),
            Ok(None) => Irregular,
            Err(e) => Fails(e.code),
        }
    }

    #[test]
    fn real_cell_texts() {
        let cases: &[(&str, Option<BareUnit>, Want)] = &[
            ("每年一次", None, Months(12)),
            ("一年一次", None, Months(12)),
            ("一年一检", None, Months(12)),
            ("1年", None, Months(12)),
            ("1年1次", None, Months(12)),
            ("12个月", None, Months(12)),
            ("十二个月", None, Months(12)),
            ("两年一检", None, Months(24)),
            ("二年一次", None, Months(24)),
            ("每两年", None, Months(24)),
            ("每2年一次", None, Months(24)),
            ("2年", None, Months(24)),
            ("每半年", None, Months(6)),
            ("半年一次", None, Months(6)),
            ("6个月", None, Months(6)),
            ("三年", None, Months(36)),
            ("3年一次", None, Months(36)),
            ("36个月", None, Months(36)),
            ("每3年", None, Months(36)),
            ("季度", None, Months(3)),
            ("每季度一次", None, Months(3)),
            ("每月", None, Months(1)),
            ("每年两次", None, Months(6)),
            ("年检", None, Months(12)),
            ("年审", None, Months(12)),
            ("一年", None, Months(12)),
            ("1 year", None, Months(12)),
            ("every 2 years", None, Months(24)),
            ("24 months", None, Months(24)),
            ("quarterly", None, Months(3)),
            ("annually", None, Months(12)),
            ("Semi-annually", None, Months(6)),
            ("once a year", None, Months(12)),
            ("twice a year", None, Months(6)),
            ("every six months", None, Months(6)),
            (" 每 年 一 次 ", None, Months(12)),
            ("每年１次", None, Months(12)),
            ("２年", None, Months(24)),
            ("每年一次。", None, Months(12)),
            ("每年一次（每年3月31日前）", None, Months(12)),
            ("2年（首次取证后每年一次）", None, Months(24)),
            ("每年检验一次", None, Months(12)),
            ("每两年检验一次", None, Months(24)),
            ("每年至少一次", None, Months(12)),
            ("一年两次", None, Months(6)),
            ("每年3次", None, Months(4)),
            ("每年度", None, Months(12)),
            ("年度", None, Months(12)),
            ("年度审验", None, Months(12)),
            ("按年度", None, Months(12)),
            ("按季", None, Months(3)),
            ("月度", None, Months(1)),
            ("每月一次", None, Months(1)),
            ("一年半", None, Months(18)),
            ("1年6个月", None, Months(18)),
            ("1.5年", None, Months(18)),
            ("每隔2年", None, Months(24)),
            ("隔年一次", None, Months(24)),
            ("1次/年", None, Months(12)),
            ("2次/年", None, Months(6)),
            ("2年/次", None, Months(24)),
            ("检验周期为2年", None, Months(24)),
            ("五年", None, Months(60)),
            ("十年", None, Months(120)),
            ("二十四个月", None, Months(24)),
            ("每年一次，必要时不定期抽查", None, Months(12)),
            ("取得证书后每2年一次", None, Months(24)),
            ("2017年起每两年一次", None, Months(24)),
            ("6年内每2年一次，超过6年每年一次", None, Months(24)),
            ("一年一次（新车6年内两年一次）", None, Months(12)),
            ("三年一次，首次两年", None, Months(36)),
            ("每年12月", None, Months(12)),
            ("2016年", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("annual inspection", None, Months(12)),
            ("Every year", None, Months(12)),
            ("2y", None, Months(24)),
            ("1-2年", None, Fails(CYCLE_UNREADABLE)),
            ("半年或一年", None, Fails(CYCLE_UNREADABLE)),
            ("每年3月份", None, Months(12)),
            ("每年度檢驗一次", None, Months(12)),
            ("两年检一次", None, Months(24)),
            ("每年进行一次年检", None, Months(12)),
            ("五年一换证", None, Months(60)),
            ("每年一审", None, Months(12)),
            ("一季度一次", None, Months(3)),
            ("每个月", None, Months(1)),
            ("365天", None, Months(12)),
            ("不定期", None, Irregular),
            ("不定期抽查", None, Irregular),
            ("按需", None, Irregular),
            ("随机抽查", None, Irregular),
            ("视情况而定", None, Irregular),
            ("双随机抽查", None, Irregular),
            ("不定期，原则上每年不少于一次", None, Irregular),
            ("根据需要", None, Irregular),
            ("irregular", None, Irregular),
            ("as needed", None, Irregular),
            ("2", Y, Months(24)),
            ("2.0", Y, Months(24)),
            ("24", M, Months(24)),
            ("0.5", Y, Months(6)),
            ("二", Y, Months(24)),
            ("2", None, Fails(CYCLE_NEEDS_UNIT)),
            ("12", None, Fails(CYCLE_NEEDS_UNIT)),
            ("1.5", M, Fails(CYCLE_OUT_OF_RANGE)),
            ("0", Y, Fails(CYCLE_OUT_OF_RANGE)),
            ("-1", Y, Fails(CYCLE_OUT_OF_RANGE)),
            ("0年", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("11年", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("200个月", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("2.5个月", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("每年5次", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("每周", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("每天", None, Fails(CYCLE_OUT_OF_RANGE)),
            ("每隔好久", None, Fails(CYCLE_UNREADABLE)),
            ("", None, Fails(CYCLE_UNREADABLE)),
            ("/", None, Fails(CYCLE_UNREADABLE)),
            ("定期", None, Fails(CYCLE_UNREADABLE)),
            ("一次", None, Fails(CYCLE_UNREADABLE)),
            ("每年2", None, Fails(CYCLE_UNREADABLE)),
            ("无", None, Fails(CYCLE_UNREADABLE)),
            ("长期有效", None, Fails(CYCLE_UNREADABLE)),
            ("每年1-2次", None, Fails(CYCLE_UNREADABLE)),
            ("sometimes", None, Fails(CYCLE_UNREADABLE)),
        ];
        assert!(cases.len() >= 40);
        let mut wrong = Vec::new();
        for (text, unit, want) in cases {
            let got = run(text, *unit);
            if got != *want {
                wrong.push(format!("{text:?} ({unit:?}): got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn every_n_years_is_12n_months() {
        let zh = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
        for n in 1..=10u32 {
            let want = Months(12 * n);
            for text in [
                format!("{n}年"),
                format!("每{n}年"),
                format!("{n}年一次"),
                format!("每{n}年一次"),
                format!("{}年", zh[n as usize - 1]),
                format!("{}年一检", zh[n as usize - 1]),
                format!("every {n} years"),
            ] {
                assert_eq!(run(&text, None), want, "{text}");
            }
            assert_eq!(run(&n.to_string(), Y), want, "bare {n} in years");
        }
    }

    #[test]
    fn n_months_is_n_up_to_the_limit() {
        for n in 1..=130u32 {
            let want = if n <= MAX_MONTHS {
                Months(n)
            } else {
                Fails(CYCLE_OUT_OF_RANGE)
            };
            assert_eq!(run(&format!("{n}个月"), None), want, "{n}个月");
            assert_eq!(run(&format!("{n}"), M), want, "bare {n} in months");
            assert_eq!(run(&format!("{n}.0"), M), want, "bare {n}.0 in months");
        }
    }

    #[test]
    fn times_a_year_divides_twelve() {
        for (n, word) in [
            (1, "一"),
            (2, "两"),
            (3, "三"),
            (4, "四"),
            (6, "六"),
            (12, "十二"),
        ] {
            assert_eq!(run(&format!("每年{word}次"), None), Months(12 / n));
            assert_eq!(run(&format!("一年{n}次"), None), Months(12 / n));
        }
    }

    #[test]
    fn result_never_leaves_the_range() {
        let samples = [
            "每0.1年",
            "1000年",
            "0.01个月",
            "-5年",
            "每年100次",
            "9999",
            "1e9",
            "半月",
            "半个月",
        ];
        for s in samples {
            for unit in [None, M, Y] {
                if let Ok(Some(m)) = parse_cycle(s, unit) {
                    assert!((1..=MAX_MONTHS).contains(&m), "{s} gave {m}");
                }
            }
        }
    }

    #[test]
    fn messages_quote_the_text() {
        let e = parse_cycle("每隔好久", None).unwrap_err();
        assert_eq!(
            e.message(Lang::Zh),
            "无法识别检验周期“每隔好久”，请填写如“每年一次”“2年”“24个月”或“不定期”"
        );
        assert!(e.message(Lang::En).contains("\"每隔好久\""));
        let e = parse_cycle("2", None).unwrap_err();
        assert_eq!(e.code, CYCLE_NEEDS_UNIT);
        assert!(e.message(Lang::Zh).contains("“2年”"));
        let e = parse_cycle("200个月", None).unwrap_err();
        assert!(e.message(Lang::Zh).contains("“200个月”"));
        assert!(e.message(Lang::En).contains("120"));
        let e = parse_cycle("  ", None).unwrap_err();
        assert_eq!(
            e.message(Lang::Zh),
            "检验周期未填写，请填写如“每年一次”“2年”“24个月”或“不定期”"
        );
        assert_eq!(e.to_string(), e.message(Lang::Zh));
    }

    #[test]
    fn bare_unit_from_header() {
        let cases: &[(&str, Option<BareUnit>)] = &[
            ("检验周期（月）", M),
            ("检验周期(年)", Y),
            ("检验周期（单位：月）", M),
            ("检验周期（个月）", M),
            ("檢驗週期（年）", Y),
            ("周期月数", M),
            ("Cycle (years)", Y),
            ("cycle_months", M),
            ("检验周期", None),
            ("年检周期", None),
            ("检验周期（如：每年一次）", None),
        ];
        for (h, want) in cases {
            assert_eq!(BareUnit::from_header(h), *want, "{h}");
        }
    }
}
