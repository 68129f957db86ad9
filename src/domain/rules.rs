//! The review rules of DESIGN.md §4 as one registry of pure units.
//!
//! A [`Rule`] is data: a stable code, a severity, titles in both languages, whether the
//! department's file alone decides it, whether the office's justified keep decision resolves it,
//! and one pure function from an item and its [`RuleContext`] to a [`Hit`] (the message in both
//! languages). Adding a rule is adding one unit to [`RULES`] and its tests.
//!
//! Words used throughout:
//! - **effective disposition**: the office's decision where one exists, else the department's
//!   proposal ([`effective_disposition`]).
//! - **kept**: the effective disposition is anything but `cancel`; an item with neither a
//!   proposal nor a decision is kept (the status quo).
//! - **converted**: the effective disposition is `convert_to_annual_report`, or the item already
//!   is published as an annual report (`annual_report == Some(true)`).

use super::{Disposition, Finding, ItemDraft, Kind, Lang, LegalBasis, Severity};

/// What a decision of the office says, as far as rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFacts {
    pub disposition: Disposition,
    /// The new cycle of an `extend_cycle` decision.
    pub cycle_months: Option<u32>,
    /// A necessity assessment (必要性评估论证) is recorded with the decision.
    pub necessity_assessment: bool,
    /// A closed consultation with a summary exists for the item.
    ///
    /// There is deliberately no switch to do without it: the plan requires public comment
    /// (公开征求社会各界意见) before any inspection without a legal basis or set by the province
    /// is kept, so a round without a consultation cannot keep one (R10 blocks it).
    pub consultation_closed: bool,
}

impl DecisionFacts {
    /// The office keeps the item on the plan's own terms: with a necessity assessment and a
    /// closed consultation. Resolves R01, R02 and R07 and silences R10.
    pub fn justifies_keeping(&self) -> bool {
        self.disposition.keeps() && self.necessity_assessment && self.consultation_closed
    }
}

/// Context beyond the file, filled by the service from the database; `Default` is the file only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleContext {
    /// The office's decision on the item, if any.
    pub decision: Option<DecisionFacts>,
    /// Titles of the item's bases that cite a repealed legal document (R08).
    pub repealed_bases: Vec<String>,
    /// Other departments of the round listing the same licence or inspection (R09).
    pub duplicate_departments: Vec<String>,
}

/// What a rule says of one item, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub zh: String,
    pub en: String,
}

impl Hit {
    fn new(zh: String, en: String) -> Option<Hit> {
        Some(Hit { zh, en })
    }
}

/// One review rule of DESIGN.md §4.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, `R01` … `R11`.
    pub code: &'static str,
    pub severity: Severity,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// Decidable from the department's file alone: part of the import report.
    pub file_only: bool,
    /// The office's keep decision with a necessity assessment and a closed consultation
    /// resolves it (DESIGN.md §9).
    pub resolvable: bool,
    check: fn(&ItemDraft, &RuleContext) -> Option<Hit>,
}

impl Rule {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.title_zh,
            Lang::En => self.title_en,
        }
    }

    /// What the rule says of the item, in both languages; `None` when it is silent.
    pub fn hit(&self, item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
        (self.check)(item, ctx)
    }

    /// The rule's finding on the item in one language, marked resolved where §9 says so.
    pub fn finding(&self, item: &ItemDraft, ctx: &RuleContext, lang: Lang) -> Option<Finding> {
        let hit = self.hit(item, ctx)?;
        let message = match lang {
            Lang::Zh => hit.zh,
            Lang::En => hit.en,
        };
        Some(Finding {
            code: self.code.to_string(),
            severity: self.severity,
            message,
            resolved: self.resolvable
                && ctx
                    .decision
                    .as_ref()
                    .is_some_and(DecisionFacts::justifies_keeping),
        })
    }
}

/// Every review rule, in code order.
pub static RULES: &[Rule] = &[
    Rule {
        code: "R01",
        severity: Severity::Error,
        title_zh: "年检没有法定依据",
        title_en: "Inspection without legal basis",
        file_only: true,
        resolvable: true,
        check: r01_inspection_without_legal_basis,
    },
    Rule {
        code: "R02",
        severity: Severity::Warning,
        title_zh: "我省自行设定的年检",
        title_en: "Inspection set by the province itself",
        file_only: true,
        resolvable: true,
        check: r02_self_set_inspection,
    },
    Rule {
        code: "R03",
        severity: Severity::Warning,
        title_zh: "检验周期不超过一年",
        title_en: "Inspection cycle of a year or less",
        file_only: true,
        resolvable: false,
        check: r03_short_cycle,
    },
    Rule {
        code: "R04",
        severity: Severity::Info,
        title_zh: "未改为年度报告公示",
        title_en: "Not converted to annual report",
        file_only: true,
        resolvable: false,
        check: r04_not_converted,
    },
    Rule {
        code: "R05",
        severity: Severity::Error,
        title_zh: "挂钩培训没有法定依据",
        title_en: "Tied training without legal basis",
        file_only: true,
        resolvable: false,
        check: r05_tied_training_without_legal_basis,
    },
    Rule {
        code: "R06",
        severity: Severity::Warning,
        title_zh: "培训收费或机构不规范",
        title_en: "Training fee or provider to standardise",
        file_only: true,
        resolvable: false,
        check: r06_training_to_standardise,
    },
    Rule {
        code: "R07",
        severity: Severity::Error,
        title_zh: "拟处理意见与清理要求不符",
        title_en: "Proposal keeps what must go",
        file_only: true,
        resolvable: true,
        check: r07_proposal_keeps_what_must_go,
    },
    Rule {
        code: "R08",
        severity: Severity::Error,
        title_zh: "设定依据已废止",
        title_en: "Basis repealed",
        file_only: false,
        resolvable: false,
        check: r08_repealed_basis,
    },
    Rule {
        code: "R09",
        severity: Severity::Warning,
        title_zh: "多个部门重复列报",
        title_en: "Listed by several departments",
        file_only: false,
        resolvable: false,
        check: r09_listed_by_several_departments,
    },
    Rule {
        code: "R10",
        severity: Severity::Error,
        title_zh: "决定保留但缺少征求意见或必要性评估",
        title_en: "Kept without consultation or necessity assessment",
        file_only: false,
        resolvable: false,
        check: r10_kept_without_justification,
    },
    Rule {
        code: "R11",
        severity: Severity::Error,
        title_zh: "检验周期缺失或无法识别",
        title_en: "Cycle missing or unreadable",
        file_only: true,
        resolvable: false,
        check: r11_kept_inspection_without_cycle,
    },
];

/// The rule of a code, e.g. for a filter or a legend.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// All rules on the item, with the database's context.
pub fn evaluate(item: &ItemDraft, ctx: &RuleContext, lang: Lang) -> Vec<Finding> {
    RULES
        .iter()
        .filter_map(|r| r.finding(item, ctx, lang))
        .collect()
}

/// All rules on the item, with the database's context, each rule run once for both languages:
/// the rule, what it says (zh and en) and whether it is resolved. Equal to [`evaluate`] in
/// Chinese and in English zipped together, at half the cost.
pub fn evaluate_both<'a>(
    item: &'a ItemDraft,
    ctx: &'a RuleContext,
) -> impl Iterator<Item = (&'static Rule, Hit, bool)> + 'a {
    let justified = ctx
        .decision
        .as_ref()
        .is_some_and(DecisionFacts::justifies_keeping);
    RULES
        .iter()
        .filter_map(move |r| r.hit(item, ctx).map(|h| (r, h, r.resolvable && justified)))
}

/// The rules the file alone decides (R01–R07, R11): the import report, dry run included.
pub fn evaluate_file(item: &ItemDraft, lang: Lang) -> Vec<Finding> {
    let ctx = RuleContext::default();
    RULES
        .iter()
        .filter(|r| r.file_only)
        .filter_map(|r| r.finding(item, &ctx, lang))
        .collect()
}

/// The office's decision where one exists, else the department's proposal.
pub fn effective_disposition(item: &ItemDraft, ctx: &RuleContext) -> Option<Disposition> {
    match &ctx.decision {
        Some(d) => Some(d.disposition),
        None => item.proposed,
    }
}

/// The cycle the item will have: the new cycle of an `extend_cycle` (the decision's, else the
/// proposal's), falling back to the current cycle when no new one is given.
pub fn effective_cycle(item: &ItemDraft, ctx: &RuleContext) -> Option<u32> {
    if effective_disposition(item, ctx) != Some(Disposition::ExtendCycle) {
        return item.cycle_months;
    }
    let new_cycle = match &ctx.decision {
        Some(d) => d.cycle_months,
        None => item.proposed_cycle_months,
    };
    new_cycle.or(item.cycle_months)
}

/// An unresolved error keeps a publication from being made.
pub fn blocks_publication(f: &Finding) -> bool {
    f.severity == Severity::Error && !f.resolved
}

// ---------------------------------------------------------------------------------------------
// The rules. Each one is pure and says in its doc comment where it decides what §4 leaves open.

/// R01: an inspection with no legal basis (no bases, or only normative documents or bases of
/// unknown level) is cancelled in principle. Silent when the effective disposition is cancel.
fn r01_inspection_without_legal_basis(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if !is_inspection(item) || !kept(item, ctx) || item.has_legal_basis() {
        return None;
    }
    let (zh, en) = no_legal_basis_detail(&item.legal_bases);
    Hit::new(
        format!(
            "没有法定依据（{zh}），原则上予以取消；确需保留的，应公开征求社会各界意见并进行必要性评估论证"
        ),
        format!(
            "No legal basis ({en}): cancel in principle; keeping it requires a public consultation and a necessity assessment"
        ),
    )
}

/// R02: an inspection set by the province itself (highest basis local, no national one) is
/// cancelled in principle. Silent when the effective disposition is cancel.
fn r02_self_set_inspection(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if !is_inspection(item) || !kept(item, ctx) || !item.self_set() {
        return None;
    }
    let highest = item
        .legal_bases
        .iter()
        .filter_map(|b| b.level.map(|level| (level, b)))
        .min_by_key(|(level, _)| *level);
    let (zh, en) = match highest {
        Some((level, b)) => (
            format!("最高依据为{}{}，", level.zh(), book(&b.title)),
            format!("highest basis: {} \"{}\"; ", level.en(), b.title),
        ),
        None => (String::new(), String::new()),
    };
    Hit::new(
        format!(
            "属于我省自行设定的年检（{zh}无国家层面依据），原则上予以取消；确需保留的，应公开征求社会各界意见并对必要性进行充分评估论证"
        ),
        format!(
            "Set by the province itself ({en}no national basis): cancel in principle; keeping it requires a public consultation and a thorough necessity assessment"
        ),
    )
}

/// R03: a kept inspection inspected every 12 months or more often: lengthen the cycle.
/// Reads the new cycle of an `extend_cycle` ([`effective_cycle`]). Silent when converted (the
/// plan's other way out of yearly inspections, also when the item already is an annual report)
/// and when the cycle is null (R11 speaks then).
fn r03_short_cycle(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if !is_inspection(item) || !kept(item, ctx) || converted(item, ctx) {
        return None;
    }
    let months = effective_cycle(item, ctx)?;
    if months > 12 {
        return None;
    }
    let (zh, en) = cycle_phrase(months);
    if item.cycle_months != Some(months) {
        // The short cycle is the new one the proposal or decision sets.
        return Hit::new(
            format!("调整后的检验周期为{zh}，仍不超过一年，建议进一步延长检验周期"),
            format!("The new cycle is every {en}, still a year or less: lengthen it further"),
        );
    }
    Hit::new(
        format!("检验周期为{zh}，建议延长检验周期"),
        format!("Inspection every {en}: lengthen the cycle"),
    )
}

/// R04: a kept inspection not converted to annual-report publication: consider converting it.
/// Fires for retain, extend_cycle, no disposition at all (status quo) and the odd standardise
/// on an inspection; silent when converted or cancelled.
fn r04_not_converted(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if !is_inspection(item) || !kept(item, ctx) || converted(item, ctx) {
        return None;
    }
    Hit::new(
        "尚未改为年度报告公示，可研究将年检改为年度报告公示".to_string(),
        "Not converted to annual-report publication: consider replacing the inspection with a published annual report".to_string(),
    )
}

/// R05: a training tied to licence issuance or inspection with no legal basis is cancelled.
/// Silent when the effective disposition is cancel, and for a training whose tied stage is not
/// given (the import reports the missing required cell).
fn r05_tied_training_without_legal_basis(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    let tied = item.tied_to?;
    if !is_training(item) || !kept(item, ctx) || item.has_legal_basis() {
        return None;
    }
    let (zh, en) = no_legal_basis_detail(&item.legal_bases);
    Hit::new(
        format!(
            "与{}挂钩的指定培训没有法定依据（{zh}），应予取消",
            tied.zh()
        ),
        format!(
            "Designated training tied to {} without legal basis ({en}): cancel it",
            tied.en()
        ),
    )
}

/// R06: a kept training that charges a fee without a fee basis, or whose provider applicants
/// may not choose, is to be standardised. It stays until the office decides `standardise`;
/// the department's own proposal to standardise does not silence it.
fn r06_training_to_standardise(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if !is_training(item) || !kept(item, ctx) {
        return None;
    }
    if ctx
        .decision
        .as_ref()
        .is_some_and(|d| d.disposition == Disposition::Standardise)
    {
        return None;
    }
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if let Some(fee) = charged_fee(item)
        && is_blank(item.fee_basis.as_deref())
    {
        zh.push(format!("收费“{fee}”没有收费依据"));
        en.push(format!("charges \"{fee}\" without a fee basis"));
    }
    if item.provider_designated == Some(true) {
        match item
            .provider
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => {
                zh.push(format!("指定由“{p}”培训，申请人不能自主选择培训机构"));
                en.push(format!(
                    "applicants must train with the designated provider \"{p}\""
                ));
            }
            None => {
                zh.push("指定培训机构，申请人不能自主选择".to_string());
                en.push("applicants may not choose the provider".to_string());
            }
        }
    }
    if zh.is_empty() {
        return None;
    }
    Hit::new(
        format!("{}，应予规范", zh.join("；")),
        format!("{}: standardise the training", capitalise(&en.join("; "))),
    )
}

/// R07: the department's proposal keeps an item that R01 or R05 says must go: explain or
/// change. Reads the proposal, not the decision; needs an actual proposal (a missing one is a
/// cell error, and R01/R05 already speak). A reason does not silence it; the office's justified
/// keep decision resolves it, and its cancel decision settles the contradiction (silent).
fn r07_proposal_keeps_what_must_go(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    let proposed = item.proposed.filter(|p| p.keeps())?;
    if ctx
        .decision
        .as_ref()
        .is_some_and(|d| !d.disposition.keeps())
    {
        return None;
    }
    if item.has_legal_basis() {
        return None;
    }
    let (zh, en) = if is_inspection(item) {
        (
            "该年检没有法定依据，原则上应予取消",
            "the inspection has no legal basis and is to be cancelled in principle",
        )
    } else if is_training(item) && item.tied_to.is_some() {
        (
            "该挂钩培训没有法定依据，应予取消",
            "the tied training has no legal basis and is to be cancelled",
        )
    } else {
        return None;
    };
    Hit::new(
        format!(
            "拟处理意见为“{}”，但{zh}：请说明理由或修改拟处理意见",
            proposed.zh()
        ),
        format!(
            "Proposed \"{}\" although {en}: explain or change the proposal",
            proposed.en()
        ),
    )
}

/// R08: a basis cites a repealed document: re-check the basis. Silent when the effective
/// disposition is cancel (a repealed basis supports nothing, and the item goes anyway).
fn r08_repealed_basis(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if ctx.repealed_bases.is_empty() || !kept(item, ctx) {
        return None;
    }
    let zh: Vec<String> = ctx.repealed_bases.iter().map(|t| book(t)).collect();
    let en: Vec<String> = ctx
        .repealed_bases
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect();
    let en = if en.len() == 1 {
        format!("The basis {} has been repealed", en[0])
    } else {
        format!("The bases {} have been repealed", en.join(", "))
    };
    Hit::new(
        format!("设定依据{}已废止，请重新核实设定依据", zh.join("、")),
        format!("{en}: re-check the legal basis"),
    )
}

/// R09: the same licence or inspection is listed by other departments: consolidate under the
/// lead department. Silent when the effective disposition is cancel (nothing to consolidate).
fn r09_listed_by_several_departments(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if ctx.duplicate_departments.is_empty() || !kept(item, ctx) {
        return None;
    }
    let (kind_zh, kind_en) = match item.kind {
        Some(Kind::Training) => ("培训", "training"),
        _ => ("年检", "inspection"),
    };
    let (subject_zh, subject_en) = match item.licence.as_deref().map(str::trim) {
        Some(l) if !l.is_empty() => (
            format!("涉及证照“{l}”的{kind_zh}"),
            format!("The {kind_en} of the licence \"{l}\""),
        ),
        _ => (format!("同一{kind_zh}"), format!("The same {kind_en}")),
    };
    // At most the first three names (in sorted order), then 等部门 / "and others": the message
    // names whom to talk to without growing with every department that lists the same licence,
    // and stays the same when a department sorting after them joins, so an import into a round
    // where many departments share a licence does not rewrite every such finding.
    let deps = &ctx.duplicate_departments;
    let named = &deps[..deps.len().min(R09_NAMED)];
    let (more_zh, more_en) = if deps.len() > R09_NAMED {
        ("等部门", " and other departments")
    } else {
        ("", "")
    };
    Hit::new(
        format!(
            "{subject_zh}还由{}{more_zh}列报，建议由牵头部门统一列报",
            named.join("、")
        ),
        format!(
            "{subject_en} is also listed by {}{more_en}: consolidate it under the lead department",
            named.join(", ")
        ),
    )
}

/// How many other departments an R09 message names.
const R09_NAMED: usize = 3;

/// R10: the office decided to keep an inspection that R01 or R02 flags without a necessity
/// assessment or without a closed consultation: publication is blocked. Reads the decision
/// only; a department's proposal is no decision.
fn r10_kept_without_justification(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    let decision = ctx.decision.as_ref()?;
    if !is_inspection(item) || !decision.disposition.keeps() {
        return None;
    }
    let (why_zh, why_en) = if !item.has_legal_basis() {
        ("没有法定依据", "has no legal basis")
    } else if item.self_set() {
        ("属于我省自行设定", "was set by the province itself")
    } else {
        return None;
    };
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if !decision.necessity_assessment {
        zh.push("必要性评估论证");
        en.push("a necessity assessment");
    }
    if !decision.consultation_closed {
        zh.push("已结束的公开征求意见记录");
        en.push("a closed public consultation");
    }
    if zh.is_empty() {
        return None;
    }
    Hit::new(
        format!(
            "已决定保留的年检{why_zh}，但缺少{}，不能公布",
            zh.join("和")
        ),
        format!(
            "Decided to keep an inspection that {why_en}, without {}: it cannot be published",
            en.join(" or ")
        ),
    )
}

/// R11: a kept inspection needs a definite cycle; a null one (missing, unreadable, or 不定期)
/// is to be fixed. Reads [`effective_cycle`], so an `extend_cycle` to a definite new cycle
/// satisfies it. Silent when converted (an annual report has no inspection cycle) and for
/// trainings, which have none.
fn r11_kept_inspection_without_cycle(item: &ItemDraft, ctx: &RuleContext) -> Option<Hit> {
    if !is_inspection(item)
        || !kept(item, ctx)
        || converted(item, ctx)
        || effective_cycle(item, ctx).is_some()
    {
        return None;
    }
    match item.cycle_text.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Hit::new(
            format!("保留的年检须有明确的检验周期，“{text}”不是明确的周期，请修改检验周期"),
            format!(
                "A kept inspection needs a definite cycle and \"{text}\" is none: fix the cycle"
            ),
        ),
        _ => Hit::new(
            "保留的年检须有明确的检验周期，未填写检验周期，请补充".to_string(),
            "A kept inspection needs a definite cycle and none is given: fix the cycle".to_string(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared words.

fn is_inspection(item: &ItemDraft) -> bool {
    item.kind == Some(Kind::Inspection)
}

fn is_training(item: &ItemDraft) -> bool {
    item.kind == Some(Kind::Training)
}

/// Anything but cancel; no disposition at all is the status quo, which keeps.
fn kept(item: &ItemDraft, ctx: &RuleContext) -> bool {
    effective_disposition(item, ctx).is_none_or(Disposition::keeps)
}

fn converted(item: &ItemDraft, ctx: &RuleContext) -> bool {
    effective_disposition(item, ctx) == Some(Disposition::ConvertToAnnualReport)
        || item.annual_report == Some(true)
}

fn is_blank(s: Option<&str>) -> bool {
    s.map(str::trim)
        .is_none_or(|s| matches!(s, "" | "无" | "-" | "—" | "/" | "否"))
}

/// The fee as written when the training charges one; `None` when empty or free.
fn charged_fee(item: &ItemDraft) -> Option<&str> {
    let fee = item.fee.as_deref()?.trim();
    let compact: String = fee.chars().filter(|c| !c.is_whitespace()).collect();
    if is_blank(Some(&compact))
        || compact.starts_with("免费")
        || compact.starts_with("不收")
        || compact.starts_with("无收费")
    {
        return None;
    }
    // "0", "0.00", "0元", "0元/人": a number of zero, optionally in yuan.
    let digits_end = compact
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(compact.len());
    let (number, unit) = compact.split_at(digits_end);
    if !number.is_empty()
        && number.parse::<f64>().is_ok_and(|n| n == 0.0)
        && (unit.is_empty() || unit.starts_with('元'))
    {
        return None;
    }
    Some(fee)
}

/// A title in 《》 unless it already has them.
fn book(title: &str) -> String {
    let title = title.trim();
    if title.starts_with('《') {
        title.to_string()
    } else {
        format!("《{title}》")
    }
}

/// What the bases are, for an item that has no legal one.
fn no_legal_basis_detail(bases: &[LegalBasis]) -> (String, String) {
    if bases.is_empty() {
        return ("未列出设定依据".to_string(), "none listed".to_string());
    }
    // Only normative documents and bases of unknown level get here: any other is legal.
    let zh: Vec<String> = bases
        .iter()
        .map(|b| match b.level {
            Some(level) => format!("{}为{}", book(&b.title), level.zh()),
            None => format!("{}层级不明", book(&b.title)),
        })
        .collect();
    let en: Vec<String> = bases
        .iter()
        .map(|b| match b.level {
            Some(level) => format!("\"{}\" is a {}", b.title, level.en()),
            None => format!("\"{}\" is of unknown level", b.title),
        })
        .collect();
    let (all_zh, none_en) = if bases.len() == 1 {
        ("", "not a law, regulation or rule")
    } else {
        ("均", "none is a law, regulation or rule")
    };
    (
        format!("{}，{all_zh}不是法律、法规或规章", zh.join("，")),
        format!("{}; {none_en}", en.join("; ")),
    )
}

/// "12个月（每年一次）" / "12 months (once a year)".
fn cycle_phrase(months: u32) -> (String, String) {
    let named = match months {
        1 => Some(("每月一次", "once a month")),
        3 => Some(("每季度一次", "once a quarter")),
        6 => Some(("每半年一次", "twice a year")),
        12 => Some(("每年一次", "once a year")),
        _ => None,
    };
    let unit_en = if months == 1 { "month" } else { "months" };
    match named {
        Some((zh, en)) => (
            format!("{months}个月（{zh}）"),
            format!("{months} {unit_en} ({en})"),
        ),
        None => (format!("{months}个月"), format!("{months} {unit_en}")),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BasisLevel;
    use crate::domain::TiedTo;

    // ----- builders --------------------------------------------------------------------------

    fn basis(level: Option<BasisLevel>, title: &str) -> LegalBasis {
        LegalBasis {
            level,
            title: title.to_string(),
            article: None,
            issuer: None,
            level_inferred: false,
        }
    }

    fn national() -> LegalBasis {
        basis(
            Some(BasisLevel::AdminRegulation),
            "中华人民共和国道路运输条例",
        )
    }

    fn local() -> LegalBasis {
        basis(Some(BasisLevel::LocalRegulation), "山东省道路运输条例")
    }

    fn normative() -> LegalBasis {
        basis(
            Some(BasisLevel::NormativeDocument),
            "关于加强机动车维修管理的通知",
        )
    }

    fn inspection(
        cycle: Option<u32>,
        bases: Vec<LegalBasis>,
        proposed: Option<Disposition>,
    ) -> ItemDraft {
        ItemDraft {
            kind: Some(Kind::Inspection),
            name: "道路运输经营许可证年度审验".to_string(),
            department: "省交通运输厅".to_string(),
            licence: Some("道路运输经营许可证".to_string()),
            cycle_months: cycle,
            cycle_text: cycle.map(|m| format!("{m}个月")),
            annual_report: Some(false),
            legal_bases: bases,
            proposed,
            ..ItemDraft::default()
        }
    }

    /// A lawful yearly inspection, proposed for retention.
    fn yearly() -> ItemDraft {
        inspection(Some(12), vec![national()], Some(Disposition::Retain))
    }

    fn training(
        tied: Option<TiedTo>,
        bases: Vec<LegalBasis>,
        proposed: Option<Disposition>,
    ) -> ItemDraft {
        ItemDraft {
            kind: Some(Kind::Training),
            name: "道路运输从业人员继续教育".to_string(),
            department: "省交通运输厅".to_string(),
            tied_to: tied,
            legal_bases: bases,
            proposed,
            fee: Some("免费".to_string()),
            provider_designated: Some(false),
            ..ItemDraft::default()
        }
    }

    fn decided(
        disposition: Disposition,
        necessity_assessment: bool,
        consultation_closed: bool,
    ) -> RuleContext {
        RuleContext {
            decision: Some(DecisionFacts {
                disposition,
                cycle_months: None,
                necessity_assessment,
                consultation_closed,
            }),
            ..RuleContext::default()
        }
    }

    fn file() -> RuleContext {
        RuleContext::default()
    }

    fn find(code: &str, item: &ItemDraft, ctx: &RuleContext) -> Option<Finding> {
        evaluate(item, ctx, Lang::Zh)
            .into_iter()
            .find(|f| f.code == code)
    }

    fn fires(code: &str, item: &ItemDraft, ctx: &RuleContext) -> bool {
        find(code, item, ctx).is_some()
    }

    fn message(code: &str, item: &ItemDraft, ctx: &RuleContext, lang: Lang) -> String {
        evaluate(item, ctx, lang)
            .into_iter()
            .find(|f| f.code == code)
            .map(|f| f.message)
            .unwrap_or_default()
    }

    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }

    // ----- the registry ----------------------------------------------------------------------

    #[test]
    fn registry_has_each_code_once_in_order() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let expected: Vec<String> = (1..=11).map(|n| format!("R{n:02}")).collect();
        assert_eq!(codes, expected);
    }

    #[test]
    fn registry_flags_and_severities_follow_the_design() {
        let file_only: Vec<&str> = RULES
            .iter()
            .filter(|r| r.file_only)
            .map(|r| r.code)
            .collect();
        assert_eq!(
            file_only,
            ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R11"]
        );
        let resolvable: Vec<&str> = RULES
            .iter()
            .filter(|r| r.resolvable)
            .map(|r| r.code)
            .collect();
        assert_eq!(resolvable, ["R01", "R02", "R07"]);
        let severity = |code| rule(code).map(|r| r.severity);
        for code in ["R01", "R05", "R07", "R08", "R10", "R11"] {
            assert_eq!(severity(code), Some(Severity::Error), "{code}");
        }
        for code in ["R02", "R03", "R06", "R09"] {
            assert_eq!(severity(code), Some(Severity::Warning), "{code}");
        }
        assert_eq!(severity("R04"), Some(Severity::Info));
        assert!(rule("R12").is_none());
        for r in RULES {
            assert!(!r.title(Lang::Zh).is_empty() && !r.title(Lang::En).is_empty());
            assert_ne!(r.title_zh, r.title_en);
        }
    }

    /// One item and context on which each rule fires.
    fn firing_case(code: &str) -> (ItemDraft, RuleContext) {
        let no_basis = inspection(Some(12), vec![], Some(Disposition::Retain));
        match code {
            "R01" | "R07" => (no_basis, file()),
            "R02" => (
                inspection(Some(24), vec![local()], Some(Disposition::Retain)),
                file(),
            ),
            "R03" | "R04" => (yearly(), file()),
            "R05" => (
                training(Some(TiedTo::Issuance), vec![], Some(Disposition::Retain)),
                file(),
            ),
            "R06" => {
                let mut t = training(
                    Some(TiedTo::Issuance),
                    vec![national()],
                    Some(Disposition::Retain),
                );
                t.fee = Some("800元/人".to_string());
                (t, file())
            }
            "R08" => (
                yearly(),
                RuleContext {
                    repealed_bases: vec!["山东省机动车维修管理办法".to_string()],
                    ..file()
                },
            ),
            "R09" => (
                yearly(),
                RuleContext {
                    duplicate_departments: vec!["省公安厅".to_string()],
                    ..file()
                },
            ),
            "R10" => (no_basis, decided(Disposition::Retain, false, false)),
            "R11" => (
                inspection(None, vec![national()], Some(Disposition::Retain)),
                file(),
            ),
            _ => (ItemDraft::default(), file()),
        }
    }

    #[test]
    fn every_rule_speaks_chinese_and_english() {
        let has_cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for r in RULES {
            let (item, ctx) = firing_case(r.code);
            let hit = r.hit(&item, &ctx);
            let Some(hit) = hit else {
                panic!("{} does not fire on its firing case", r.code);
            };
            assert!(has_cjk(&hit.zh), "{}: {}", r.code, hit.zh);
            assert!(
                hit.en.starts_with(|c: char| c.is_ascii_uppercase()),
                "{}: {}",
                r.code,
                hit.en
            );
            let zh = r.finding(&item, &ctx, Lang::Zh).map(|f| f.message);
            let en = r.finding(&item, &ctx, Lang::En).map(|f| f.message);
            assert_eq!(zh.as_deref(), Some(hit.zh.as_str()));
            assert_eq!(en.as_deref(), Some(hit.en.as_str()));
        }
    }

    #[test]
    fn an_empty_item_draws_no_finding() {
        assert!(evaluate(&ItemDraft::default(), &file(), Lang::Zh).is_empty());
    }

    // ----- effective disposition and cycle ---------------------------------------------------

    #[test]
    fn decision_overrides_proposal() {
        let item = inspection(Some(12), vec![], Some(Disposition::Cancel));
        assert_eq!(
            effective_disposition(&item, &file()),
            Some(Disposition::Cancel)
        );
        let ctx = decided(Disposition::Retain, false, false);
        assert_eq!(
            effective_disposition(&item, &ctx),
            Some(Disposition::Retain)
        );
        assert!(!fires("R01", &item, &file()));
        assert!(fires("R01", &item, &ctx));
        let none = inspection(Some(12), vec![], None);
        assert_eq!(effective_disposition(&none, &file()), None);
    }

    #[test]
    fn effective_cycle_reads_the_new_cycle_of_an_extension() {
        let mut item = inspection(Some(12), vec![national()], Some(Disposition::ExtendCycle));
        assert_eq!(effective_cycle(&item, &file()), Some(12));
        item.proposed_cycle_months = Some(24);
        assert_eq!(effective_cycle(&item, &file()), Some(24));
        let mut ctx = decided(Disposition::ExtendCycle, false, false);
        if let Some(d) = ctx.decision.as_mut() {
            d.cycle_months = Some(36);
        }
        assert_eq!(effective_cycle(&item, &ctx), Some(36));
        // A retain decision keeps the current cycle whatever the proposal said.
        assert_eq!(
            effective_cycle(&item, &decided(Disposition::Retain, false, false)),
            Some(12)
        );
    }

    // ----- R01 -------------------------------------------------------------------------------

    #[test]
    fn r01_inspection_without_any_basis() {
        let item = inspection(Some(24), vec![], Some(Disposition::Retain));
        let f = find("R01", &item, &file());
        assert_eq!(f.as_ref().map(|f| f.severity), Some(Severity::Error));
        assert!(f.is_some_and(|f| f.message.contains("未列出设定依据") && !f.resolved));
    }

    #[test]
    fn r01_only_a_normative_document_is_no_legal_basis() {
        let item = inspection(Some(24), vec![normative()], Some(Disposition::Retain));
        assert!(fires("R01", &item, &file()));
        let msg = message("R01", &item, &file(), Lang::Zh);
        assert!(
            msg.contains("《关于加强机动车维修管理的通知》为规范性文件"),
            "{msg}"
        );
        let en = message("R01", &item, &file(), Lang::En);
        assert!(en.contains("normative document"), "{en}");
        // A basis of unknown level is no legal basis either.
        let unknown = inspection(
            Some(24),
            vec![basis(None, "某文件")],
            Some(Disposition::Retain),
        );
        assert!(fires("R01", &unknown, &file()));
        assert_eq!(
            message("R01", &unknown, &file(), Lang::Zh),
            "没有法定依据（《某文件》层级不明，不是法律、法规或规章），原则上予以取消；\
             确需保留的，应公开征求社会各界意见并进行必要性评估论证"
        );
        let both = inspection(Some(24), vec![normative(), basis(None, "某文件")], None);
        let en = message("R01", &both, &file(), Lang::En);
        assert!(
            en.contains("\"某文件\" is of unknown level; none is a law, regulation or rule"),
            "{en}"
        );
    }

    #[test]
    fn r01_silent_with_a_legal_basis() {
        for level in [
            BasisLevel::Law,
            BasisLevel::DepartmentalRule,
            BasisLevel::LocalGovRule,
        ] {
            let item = inspection(Some(24), vec![normative(), basis(Some(level), "x")], None);
            assert!(!fires("R01", &item, &file()), "{level}");
        }
    }

    #[test]
    fn r01_proposed_cancel_silences_it() {
        let item = inspection(Some(24), vec![], Some(Disposition::Cancel));
        assert!(!fires("R01", &item, &file()));
        let kept = inspection(Some(24), vec![], None);
        assert!(
            fires("R01", &kept, &file()),
            "no proposal is the status quo: kept"
        );
        assert!(!fires(
            "R01",
            &kept,
            &decided(Disposition::Cancel, false, false)
        ));
    }

    #[test]
    fn r01_is_for_inspections_only() {
        let t = training(Some(TiedTo::Issuance), vec![], Some(Disposition::Retain));
        assert!(!fires("R01", &t, &file()));
    }

    // ----- R02 -------------------------------------------------------------------------------

    #[test]
    fn r02_self_set_inspection() {
        let item = inspection(
            Some(24),
            vec![local(), normative()],
            Some(Disposition::Retain),
        );
        let f = find("R02", &item, &file());
        assert_eq!(f.as_ref().map(|f| f.severity), Some(Severity::Warning));
        let msg = message("R02", &item, &file(), Lang::Zh);
        assert!(msg.contains("地方性法规《山东省道路运输条例》"), "{msg}");
        assert!(
            !fires("R01", &item, &file()),
            "a local regulation is a legal basis"
        );
        let city_rule = inspection(
            Some(24),
            vec![basis(Some(BasisLevel::LocalGovRule), "济南市某办法")],
            None,
        );
        assert!(fires("R02", &city_rule, &file()));
    }

    #[test]
    fn r02_national_plus_local_is_not_self_set() {
        let item = inspection(
            Some(24),
            vec![national(), local()],
            Some(Disposition::Retain),
        );
        assert!(!fires("R02", &item, &file()));
        let only_normative = inspection(Some(24), vec![normative()], Some(Disposition::Retain));
        assert!(!fires("R02", &only_normative, &file()));
    }

    #[test]
    fn r02_silent_when_cancelled() {
        let item = inspection(Some(24), vec![local()], Some(Disposition::Cancel));
        assert!(!fires("R02", &item, &file()));
        let retained = inspection(Some(24), vec![local()], Some(Disposition::Retain));
        assert!(!fires(
            "R02",
            &retained,
            &decided(Disposition::Cancel, false, false)
        ));
    }

    // ----- R03 -------------------------------------------------------------------------------

    #[test]
    fn r03_twelve_months_fires_thirteen_does_not() {
        let twelve = yearly();
        assert_eq!(
            find("R03", &twelve, &file()).map(|f| f.severity),
            Some(Severity::Warning)
        );
        assert_eq!(
            message("R03", &twelve, &file(), Lang::Zh),
            "检验周期为12个月（每年一次），建议延长检验周期"
        );
        assert_eq!(
            message("R03", &twelve, &file(), Lang::En),
            "Inspection every 12 months (once a year): lengthen the cycle"
        );
        let six = inspection(Some(6), vec![national()], None);
        assert!(message("R03", &six, &file(), Lang::Zh).contains("每半年一次"));
        let thirteen = inspection(Some(13), vec![national()], Some(Disposition::Retain));
        assert!(!fires("R03", &thirteen, &file()));
    }

    #[test]
    fn r03_null_cycle_is_r11s_business() {
        let item = inspection(None, vec![national()], Some(Disposition::Retain));
        assert!(!fires("R03", &item, &file()));
        assert!(fires("R11", &item, &file()));
    }

    #[test]
    fn r03_convert_and_cancel_silence_it() {
        let convert = inspection(
            Some(12),
            vec![national()],
            Some(Disposition::ConvertToAnnualReport),
        );
        assert!(!fires("R03", &convert, &file()));
        let cancel = inspection(Some(12), vec![national()], Some(Disposition::Cancel));
        assert!(!fires("R03", &cancel, &file()));
        let mut already = yearly();
        already.annual_report = Some(true);
        assert!(!fires("R03", &already, &file()));
    }

    #[test]
    fn r03_reads_the_new_cycle_of_an_extension() {
        let mut item = inspection(Some(12), vec![national()], Some(Disposition::ExtendCycle));
        item.proposed_cycle_months = Some(24);
        assert!(!fires("R03", &item, &file()));
        let mut short = inspection(Some(6), vec![national()], Some(Disposition::ExtendCycle));
        short.proposed_cycle_months = Some(12);
        let msg = message("R03", &short, &file(), Lang::Zh);
        assert!(msg.contains("调整后的检验周期为12个月"), "{msg}");
        // The decision's cycle overrides the proposal's.
        let mut ctx = decided(Disposition::ExtendCycle, false, false);
        if let Some(d) = ctx.decision.as_mut() {
            d.cycle_months = Some(36);
        }
        assert!(!fires("R03", &short, &ctx));
        // A retain decision brings the current 6 months back.
        assert!(
            message(
                "R03",
                &short,
                &decided(Disposition::Retain, false, false),
                Lang::Zh
            )
            .starts_with("检验周期为6个月")
        );
    }

    // ----- R04 -------------------------------------------------------------------------------

    #[test]
    fn r04_kept_inspection_not_converted() {
        let f = find("R04", &yearly(), &file());
        assert_eq!(f.map(|f| f.severity), Some(Severity::Info));
        let mut unknown = inspection(Some(24), vec![national()], Some(Disposition::ExtendCycle));
        unknown.annual_report = None;
        assert!(fires("R04", &unknown, &file()));
    }

    #[test]
    fn r04_silent_when_converted_or_cancelled() {
        let mut already = yearly();
        already.annual_report = Some(true);
        assert!(!fires("R04", &already, &file()));
        let convert = inspection(
            Some(12),
            vec![national()],
            Some(Disposition::ConvertToAnnualReport),
        );
        assert!(!fires("R04", &convert, &file()));
        assert!(!fires(
            "R04",
            &yearly(),
            &decided(Disposition::ConvertToAnnualReport, false, false)
        ));
        let cancel = inspection(Some(12), vec![national()], Some(Disposition::Cancel));
        assert!(!fires("R04", &cancel, &file()));
        let t = training(Some(TiedTo::Issuance), vec![national()], None);
        assert!(!fires("R04", &t, &file()));
    }

    // ----- R05 -------------------------------------------------------------------------------

    #[test]
    fn r05_tied_training_without_legal_basis() {
        for tied in [TiedTo::Issuance, TiedTo::Inspection, TiedTo::Both] {
            let t = training(Some(tied), vec![normative()], Some(Disposition::Retain));
            let f = find("R05", &t, &file());
            assert_eq!(f.as_ref().map(|f| f.severity), Some(Severity::Error));
            assert!(message("R05", &t, &file(), Lang::Zh).contains(tied.zh()));
        }
    }

    #[test]
    fn r05_silent_with_basis_untied_or_cancelled() {
        let lawful = training(
            Some(TiedTo::Issuance),
            vec![national()],
            Some(Disposition::Retain),
        );
        assert!(!fires("R05", &lawful, &file()));
        let untied = training(None, vec![], Some(Disposition::Retain));
        assert!(!fires("R05", &untied, &file()));
        let cancel = training(Some(TiedTo::Issuance), vec![], Some(Disposition::Cancel));
        assert!(!fires("R05", &cancel, &file()));
        let retained = training(Some(TiedTo::Issuance), vec![], Some(Disposition::Retain));
        assert!(!fires(
            "R05",
            &retained,
            &decided(Disposition::Cancel, false, false)
        ));
        // R05 is not resolvable: a justified keep decision leaves it blocking.
        let f = find("R05", &retained, &decided(Disposition::Retain, true, true));
        assert!(f.is_some_and(|f| blocks_publication(&f)));
    }

    // ----- R06 -------------------------------------------------------------------------------

    fn lawful_training() -> ItemDraft {
        training(
            Some(TiedTo::Issuance),
            vec![national()],
            Some(Disposition::Retain),
        )
    }

    #[test]
    fn r06_fee_without_basis() {
        let mut t = lawful_training();
        t.fee = Some("800元/人".to_string());
        assert_eq!(
            find("R06", &t, &file()).map(|f| f.severity),
            Some(Severity::Warning)
        );
        let msg = message("R06", &t, &file(), Lang::Zh);
        assert!(msg.contains("收费“800元/人”没有收费依据"), "{msg}");
        t.fee_basis = Some("无".to_string());
        assert!(fires("R06", &t, &file()));
        t.fee_basis = Some("鲁价费发〔2015〕12号".to_string());
        assert!(!fires("R06", &t, &file()));
    }

    #[test]
    fn r06_free_training_needs_no_fee_basis() {
        for fee in ["免费", "不收费", "0", "0元", "0.00 元/人", " ", "无"] {
            let mut t = lawful_training();
            t.fee = Some(fee.to_string());
            assert!(!fires("R06", &t, &file()), "{fee:?}");
        }
        let mut none = lawful_training();
        none.fee = None;
        assert!(!fires("R06", &none, &file()));
        let mut ten = lawful_training();
        ten.fee = Some("10元".to_string());
        assert!(fires("R06", &ten, &file()));
    }

    #[test]
    fn r06_designated_provider() {
        let mut t = lawful_training();
        t.provider_designated = Some(true);
        t.provider = Some("省道路运输协会".to_string());
        let msg = message("R06", &t, &file(), Lang::En);
        assert!(
            msg.contains("designated provider \"省道路运输协会\""),
            "{msg}"
        );
        assert!(msg.starts_with("Applicants"), "{msg}");
        t.provider_designated = None;
        assert!(!fires("R06", &t, &file()));
    }

    #[test]
    fn r06_stays_until_the_office_decides_standardise() {
        let mut t = lawful_training();
        t.provider_designated = Some(true);
        t.proposed = Some(Disposition::Standardise);
        assert!(fires("R06", &t, &file()));
        assert!(fires(
            "R06",
            &t,
            &decided(Disposition::Retain, false, false)
        ));
        assert!(!fires(
            "R06",
            &t,
            &decided(Disposition::Standardise, false, false)
        ));
        assert!(!fires(
            "R06",
            &t,
            &decided(Disposition::Cancel, false, false)
        ));
        t.proposed = Some(Disposition::Cancel);
        assert!(!fires("R06", &t, &file()));
    }

    // ----- R07 -------------------------------------------------------------------------------

    #[test]
    fn r07_proposal_keeps_an_inspection_without_basis() {
        let mut item = inspection(Some(24), vec![normative()], Some(Disposition::ExtendCycle));
        item.reason = Some("行业管理需要".to_string());
        let f = find("R07", &item, &file());
        assert_eq!(f.as_ref().map(|f| f.severity), Some(Severity::Error));
        let msg = message("R07", &item, &file(), Lang::Zh);
        assert!(msg.contains("拟处理意见为“延长周期”"), "{msg}");
    }

    #[test]
    fn r07_proposal_keeps_a_tied_training_without_basis() {
        let t = training(
            Some(TiedTo::Inspection),
            vec![],
            Some(Disposition::Standardise),
        );
        assert!(fires("R07", &t, &file()));
        let untied = training(None, vec![], Some(Disposition::Retain));
        assert!(!fires("R07", &untied, &file()));
    }

    #[test]
    fn r07_silent_without_contradiction() {
        let cancel = inspection(Some(24), vec![], Some(Disposition::Cancel));
        assert!(!fires("R07", &cancel, &file()));
        let no_proposal = inspection(Some(24), vec![], None);
        assert!(!fires("R07", &no_proposal, &file()));
        let lawful = inspection(Some(24), vec![national()], Some(Disposition::Retain));
        assert!(!fires("R07", &lawful, &file()));
        let self_set = inspection(Some(24), vec![local()], Some(Disposition::Retain));
        assert!(
            !fires("R07", &self_set, &file()),
            "R07 follows R01/R05, not R02"
        );
        // The office's cancel decision settles it.
        let retained = inspection(Some(24), vec![], Some(Disposition::Retain));
        assert!(!fires(
            "R07",
            &retained,
            &decided(Disposition::Cancel, false, false)
        ));
    }

    // ----- R08 -------------------------------------------------------------------------------

    #[test]
    fn r08_names_the_repealed_bases() {
        let ctx = RuleContext {
            repealed_bases: vec![
                "山东省机动车维修管理办法".to_string(),
                "《某规定》".to_string(),
            ],
            ..file()
        };
        let f = find("R08", &yearly(), &ctx);
        assert_eq!(f.as_ref().map(|f| f.severity), Some(Severity::Error));
        assert_eq!(
            message("R08", &yearly(), &ctx, Lang::Zh),
            "设定依据《山东省机动车维修管理办法》、《某规定》已废止，请重新核实设定依据"
        );
        assert!(message("R08", &yearly(), &ctx, Lang::En).starts_with("The bases "));
        assert!(!fires("R08", &yearly(), &file()));
        let cancel = inspection(Some(12), vec![national()], Some(Disposition::Cancel));
        assert!(!fires("R08", &cancel, &ctx));
    }

    // ----- R09 -------------------------------------------------------------------------------

    #[test]
    fn r09_names_the_other_departments() {
        let ctx = RuleContext {
            duplicate_departments: vec!["省公安厅".to_string(), "省商务厅".to_string()],
            ..file()
        };
        assert_eq!(
            find("R09", &yearly(), &ctx).map(|f| f.severity),
            Some(Severity::Warning)
        );
        let msg = message("R09", &yearly(), &ctx, Lang::Zh);
        assert!(msg.contains("省公安厅、省商务厅"), "{msg}");
        assert!(msg.contains("道路运输经营许可证"), "{msg}");
        assert!(message("R09", &yearly(), &ctx, Lang::En).contains("省公安厅, 省商务厅"));
        assert!(!fires("R09", &yearly(), &file()));
        let cancel = inspection(Some(12), vec![national()], Some(Disposition::Cancel));
        assert!(!fires("R09", &cancel, &ctx));
    }

    #[test]
    fn r09_names_three_departments_then_says_others() {
        let names = [
            "省公安厅",
            "省商务厅",
            "省水利厅",
            "省自然资源厅",
            "省住房城乡建设厅",
        ];
        let ctx = |n: usize| RuleContext {
            duplicate_departments: names[..n].iter().map(|s| s.to_string()).collect(),
            ..file()
        };
        let three = message("R09", &yearly(), &ctx(3), Lang::Zh);
        assert!(
            three.contains("还由省公安厅、省商务厅、省水利厅列报"),
            "{three}"
        );
        let five = message("R09", &yearly(), &ctx(5), Lang::Zh);
        assert!(
            five.contains("还由省公安厅、省商务厅、省水利厅等部门列报"),
            "{five}"
        );
        assert!(!five.contains("省自然资源厅"), "{five}");
        // A fourth and a fifth department change nothing: the stored finding stays as it is.
        assert_eq!(message("R09", &yearly(), &ctx(4), Lang::Zh), five);
        let en = message("R09", &yearly(), &ctx(5), Lang::En);
        assert!(
            en.contains("省公安厅, 省商务厅, 省水利厅 and other departments:"),
            "{en}"
        );
    }

    // ----- R10 -------------------------------------------------------------------------------

    #[test]
    fn r10_each_missing_piece_blocks() {
        let no_basis = inspection(Some(24), vec![], Some(Disposition::Retain));
        let self_set = inspection(Some(24), vec![local()], Some(Disposition::Retain));
        for item in [&no_basis, &self_set] {
            for (necessity, consultation, missing) in [
                (false, true, "必要性评估论证"),
                (true, false, "已结束的公开征求意见记录"),
                (false, false, "必要性评估论证和已结束的公开征求意见记录"),
            ] {
                let ctx = decided(Disposition::Retain, necessity, consultation);
                let f = find("R10", item, &ctx);
                assert!(f.as_ref().is_some_and(blocks_publication), "{item:?}");
                let msg = message("R10", item, &ctx, Lang::Zh);
                assert!(msg.contains(&format!("缺少{missing}，")), "{msg}");
            }
            assert!(!fires(
                "R10",
                item,
                &decided(Disposition::Retain, true, true)
            ));
        }
    }

    #[test]
    fn r10_needs_a_keep_decision_on_a_flagged_inspection() {
        let no_basis = inspection(Some(24), vec![], Some(Disposition::Retain));
        assert!(
            !fires("R10", &no_basis, &file()),
            "a proposal is no decision"
        );
        assert!(!fires(
            "R10",
            &no_basis,
            &decided(Disposition::Cancel, false, false)
        ));
        assert!(fires(
            "R10",
            &no_basis,
            &decided(Disposition::ExtendCycle, true, false)
        ));
        let lawful = inspection(Some(24), vec![national(), local()], None);
        assert!(!fires(
            "R10",
            &lawful,
            &decided(Disposition::Retain, false, false)
        ));
        let t = training(Some(TiedTo::Issuance), vec![], None);
        assert!(!fires(
            "R10",
            &t,
            &decided(Disposition::Retain, false, false)
        ));
    }

    // ----- R11 -------------------------------------------------------------------------------

    #[test]
    fn r11_kept_irregular_inspection() {
        let mut item = inspection(None, vec![national()], Some(Disposition::Retain));
        item.cycle_text = Some("不定期".to_string());
        let f = find("R11", &item, &file());
        assert_eq!(f.as_ref().map(|f| f.severity), Some(Severity::Error));
        let msg = message("R11", &item, &file(), Lang::Zh);
        assert!(msg.contains("“不定期”不是明确的周期"), "{msg}");
        item.cycle_text = None;
        assert!(message("R11", &item, &file(), Lang::En).contains("none is given"));
    }

    #[test]
    fn r11_silent_when_cancelled_converted_extended_or_training() {
        let cancel = inspection(None, vec![national()], Some(Disposition::Cancel));
        assert!(!fires("R11", &cancel, &file()));
        let convert = inspection(
            None,
            vec![national()],
            Some(Disposition::ConvertToAnnualReport),
        );
        assert!(!fires("R11", &convert, &file()));
        let mut extend = inspection(None, vec![national()], Some(Disposition::ExtendCycle));
        assert!(
            fires("R11", &extend, &file()),
            "an extension without a new cycle"
        );
        extend.proposed_cycle_months = Some(36);
        assert!(!fires("R11", &extend, &file()));
        let t = training(Some(TiedTo::Issuance), vec![national()], None);
        assert!(!fires("R11", &t, &file()));
        let twelve = yearly();
        assert!(!fires("R11", &twelve, &file()));
    }

    // ----- resolution and publication --------------------------------------------------------

    #[test]
    fn justified_keep_resolves_r01_r02_r07() {
        let justified = decided(Disposition::Retain, true, true);
        let no_basis = inspection(Some(24), vec![], Some(Disposition::Retain));
        let self_set = inspection(None, vec![local()], Some(Disposition::Retain));
        for (item, code) in [(&no_basis, "R01"), (&no_basis, "R07"), (&self_set, "R02")] {
            let f = find(code, item, &justified);
            assert!(
                f.as_ref().is_some_and(|f| f.resolved),
                "{code} stays listed, resolved"
            );
            assert!(!f.as_ref().is_some_and(blocks_publication), "{code}");
            let open = find(code, item, &file());
            assert!(
                open.is_some_and(|f| !f.resolved),
                "{code} without a decision"
            );
        }
        // Only R11 still blocks the self-set item with no cycle.
        let blocking: Vec<String> = evaluate(&self_set, &justified, Lang::Zh)
            .into_iter()
            .filter(blocks_publication)
            .map(|f| f.code)
            .collect();
        assert_eq!(blocking, ["R11"]);
    }

    #[test]
    fn unjustified_keep_leaves_r01_open() {
        let no_basis = inspection(Some(24), vec![], Some(Disposition::Retain));
        for ctx in [
            decided(Disposition::Retain, true, false),
            decided(Disposition::Retain, false, true),
        ] {
            let f = find("R01", &no_basis, &ctx);
            assert!(f.is_some_and(|f| !f.resolved && blocks_publication(&f)));
        }
    }

    #[test]
    fn only_unresolved_errors_block() {
        let finding = |severity, resolved| Finding {
            code: "R01".to_string(),
            severity,
            message: String::new(),
            resolved,
        };
        assert!(blocks_publication(&finding(Severity::Error, false)));
        assert!(!blocks_publication(&finding(Severity::Error, true)));
        assert!(!blocks_publication(&finding(Severity::Warning, false)));
        assert!(!blocks_publication(&finding(Severity::Info, false)));
    }

    #[test]
    fn resolved_is_absent_from_json_when_false() -> Result<(), serde_json::Error> {
        let open = find("R01", &inspection(Some(24), vec![], None), &file());
        let json = serde_json::to_value(&open)?;
        assert_eq!(json.get("resolved"), None);
        assert_eq!(json.get("code").and_then(|c| c.as_str()), Some("R01"));
        let back: Finding = serde_json::from_value(json)?;
        assert!(!back.resolved);
        let justified = decided(Disposition::Retain, true, true);
        let resolved = find("R01", &inspection(Some(24), vec![], None), &justified);
        let json = serde_json::to_value(&resolved)?;
        assert_eq!(json.get("resolved"), Some(&serde_json::Value::Bool(true)));
        Ok(())
    }

    // ----- file-only evaluation --------------------------------------------------------------

    #[test]
    fn file_evaluation_excludes_r08_to_r10() {
        let item = inspection(Some(12), vec![], Some(Disposition::Retain));
        let ctx = RuleContext {
            decision: Some(DecisionFacts {
                disposition: Disposition::Retain,
                cycle_months: None,
                necessity_assessment: false,
                consultation_closed: false,
            }),
            repealed_bases: vec!["某办法".to_string()],
            duplicate_departments: vec!["省公安厅".to_string()],
        };
        let all = evaluate(&item, &ctx, Lang::Zh);
        assert_eq!(
            codes(&all),
            ["R01", "R03", "R04", "R07", "R08", "R09", "R10"]
        );
        let from_file = evaluate_file(&item, Lang::Zh);
        assert_eq!(codes(&from_file), ["R01", "R03", "R04", "R07"]);
        assert!(from_file.iter().all(|f| !f.resolved));
    }

    #[test]
    fn evaluating_both_languages_at_once_equals_each_language() {
        let items = [
            yearly(),
            inspection(Some(12), vec![], Some(Disposition::Retain)),
            inspection(None, vec![], None),
            inspection(Some(24), vec![national()], Some(Disposition::Cancel)),
            training(Some(TiedTo::Issuance), vec![], Some(Disposition::Retain)),
            training(None, vec![national()], None),
            ItemDraft::default(),
        ];
        let contexts = [
            file(),
            decided(Disposition::Retain, true, true),
            decided(Disposition::Retain, false, true),
            decided(Disposition::Cancel, false, false),
            RuleContext {
                decision: Some(DecisionFacts {
                    disposition: Disposition::ExtendCycle,
                    cycle_months: Some(36),
                    necessity_assessment: true,
                    consultation_closed: true,
                }),
                repealed_bases: vec!["某办法".to_string(), "某条例".to_string()],
                duplicate_departments: vec!["省公安厅".to_string(), "省商务厅".to_string()],
            },
        ];
        for item in &items {
            for ctx in &contexts {
                let zh = evaluate(item, ctx, Lang::Zh);
                let en = evaluate(item, ctx, Lang::En);
                let both: Vec<(&Rule, Hit, bool)> = evaluate_both(item, ctx).collect();
                assert_eq!(both.len(), zh.len());
                assert_eq!(both.len(), en.len());
                for ((rule, hit, resolved), (z, e)) in both.iter().zip(zh.iter().zip(en.iter())) {
                    assert_eq!(rule.code, z.code);
                    assert_eq!(rule.severity, z.severity);
                    assert_eq!(hit.zh, z.message);
                    assert_eq!(hit.en, e.message);
                    assert_eq!(*resolved, z.resolved);
                    assert_eq!(*resolved, e.resolved);
                }
            }
        }
    }

    #[test]
    fn file_evaluation_reads_the_proposal() {
        let item = inspection(Some(12), vec![], Some(Disposition::Cancel));
        assert!(evaluate_file(&item, Lang::En).is_empty());
        let en = evaluate_file(&yearly(), Lang::En);
        assert_eq!(codes(&en), ["R03", "R04"]);
        assert!(en.iter().all(|f| f.message.is_ascii()));
    }
}
