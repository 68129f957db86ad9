//! The office's consolidated view: all items of a round across departments, filtered, sorted
//! and paged, with their findings and current decision.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::{decisions, departments, findings, items};
use crate::domain::{Disposition, Kind, Lang, Severity};

/// Which departments a caller may see: every one (admin, a reviewer of the top region) or a
/// list (a reviewer's subtree, a submitter's own department). Every list query takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    All,
    Departments(Vec<i64>),
}

/// Filters of the consolidated list (CONTRACTS.md `GET /api/v1/rounds/{id}/items`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemFilter {
    pub department: Option<i64>,
    pub kind: Option<Kind>,
    pub rule: Option<String>,
    pub severity: Option<Severity>,
    pub proposed: Option<Disposition>,
    /// Item state: submitted, under_review, decided, published; or `undecided`.
    pub state: Option<String>,
    pub q: Option<String>,
    pub sort: Option<Sort>,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Department,
    Name,
    Cycle,
    Updated,
}

impl Sort {
    pub fn from_code(s: &str) -> Option<Sort> {
        match s {
            "department" => Some(Sort::Department),
            "name" => Some(Sort::Name),
            "cycle" => Some(Sort::Cycle),
            "updated" => Some(Sort::Updated),
            _ => None,
        }
    }
}

pub const MAX_PER_PAGE: u32 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub code: String,
    pub severity: String,
    pub message: String,
    pub resolved: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub decision: String,
    pub cycle_months: Option<i64>,
    pub rationale: String,
    pub necessity: Option<String>,
    pub decided_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemSummary {
    pub id: i64,
    pub department_id: i64,
    pub department: String,
    pub kind: String,
    pub name: String,
    pub licence: Option<String>,
    pub cycle_months: Option<i64>,
    pub cycle_text: Option<String>,
    pub annual_report: Option<bool>,
    pub self_set: bool,
    pub proposed: Option<String>,
    pub proposed_cycle_months: Option<i64>,
    pub state: String,
    pub decision: Option<DecisionView>,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: i64,
}

diesel::define_sql_function! {
    /// SQLite's `instr(haystack, needle)`: the 1-based position of the needle, 0 if absent.
    /// PostgreSQL has it from the migration `2026-11-27-000800_list_text` (over `strpos`).
    fn instr(haystack: diesel::sql_types::Text, needle: diesel::sql_types::Text) -> diesel::sql_types::Integer;
}

/// `%` and `_` escaped for a LIKE pattern with `\` as the escape character.
pub fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<bool>,
    bool,
    Option<String>,
    Option<i64>,
    String,
);

type DecisionTuple = (
    i64,
    String,
    Option<i64>,
    String,
    Option<String>,
    chrono::NaiveDateTime,
);

/// One page of the consolidated list of a round.
pub fn list_items(
    conn: &mut DbConnection,
    visible: &Visible,
    round_id: i64,
    filter: &ItemFilter,
    lang: Lang,
) -> QueryResult<Page<ItemSummary>> {
    let per_page = filter.per_page.clamp(1, MAX_PER_PAGE);
    let page = filter.page.max(1);

    // The departments whose name matches the search text: the text filter takes them by id,
    // so the list query needs no join and its pages come straight from `items_list_idx`.
    let text = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let named_departments: Vec<i64> = match text {
        Some(text) => departments::table
            .filter(departments::name.like(like_pattern(text)).escape('\\'))
            .select(departments::id)
            .load(conn)?,
        None => Vec::new(),
    };
    // The text as the identity keys are written (DESIGN.md §9): full and half width,
    // traditional and simplified, case, spaces and punctuation folded, 年审/校验 → 年检.
    let key = text
        .map(crate::domain::text::normalise_name)
        .filter(|k| !k.is_empty());

    macro_rules! filtered {
        () => {{
            let mut q = items::table
                .filter(items::round_id.eq(round_id))
                .filter(items::withdrawn.eq(false))
                .into_boxed();
            if let Visible::Departments(ids) = visible {
                q = q.filter(items::department_id.eq_any(ids.clone()));
            }
            if let Some(d) = filter.department {
                q = q.filter(items::department_id.eq(d));
            }
            if let Some(k) = filter.kind {
                q = q.filter(items::kind.eq(k.code()));
            }
            if let Some(p) = filter.proposed {
                q = q.filter(items::proposed.eq(p.code()));
            }
            match filter.state.as_deref() {
                Some("undecided") => {
                    q = q.filter(items::state.ne(crate::db::items::state::DECIDED));
                    q = q.filter(items::state.ne(crate::db::items::state::PUBLISHED));
                }
                Some(s) => q = q.filter(items::state.eq(s.to_string())),
                None => {}
            }
            if let Some(rule) = &filter.rule {
                q = q.filter(
                    items::id.eq_any(
                        findings::table
                            .filter(findings::code.eq(rule.clone()))
                            .select(findings::item_id),
                    ),
                );
            }
            if let Some(sev) = filter.severity {
                // The item's open severities are kept as bits on the item (see
                // `db::items::store_findings`); the bit is a constant of ours, not input.
                q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                    "(items.open_severities & {}) <> 0",
                    sev.bit()
                )));
            }
            match (text, key.as_deref()) {
                // The identity key is in `items_list_idx`: the test reads the index only.
                (Some(_), Some(key)) => {
                    q = q.filter(
                        instr(items::identity_key, key.to_string())
                            .gt(0)
                            .or(items::department_id.eq_any(named_departments.clone())),
                    );
                }
                // Punctuation alone has no key: match it literally in the name and licence.
                (Some(text), None) => {
                    let pattern = like_pattern(text);
                    q = q.filter(
                        items::name
                            .like(pattern.clone())
                            .escape('\\')
                            .or(items::licence.like(pattern).escape('\\'))
                            .or(items::department_id.eq_any(named_departments.clone())),
                    );
                }
                (None, _) => {}
            }
            q
        }};
    }

    // The page's ids first: for the usual filters a scan of `items_list_idx` alone (no row of
    // the round is read to be thrown away); then the 50 rows by id.
    macro_rules! ordered {
        ($q:expr) => {
            match filter.sort.unwrap_or_default() {
                // Departments in the order they were registered (the official order of the
                // list they came from), then the row of the department's sheet: the order of
                // `items_list_idx`, so a page is read from the index without sorting the round.
                Sort::Department => $q.order((
                    items::department_id.asc(),
                    items::row_number.asc(),
                    items::id.asc(),
                )),
                Sort::Name => $q.order((items::name.asc(), items::id.asc())),
                Sort::Cycle => $q.order((items::cycle_months.asc(), items::id.asc())),
                Sort::Updated => $q.order((items::updated_at.desc(), items::id.desc())),
            }
        };
    }
    let offset = i64::from(page - 1) * i64::from(per_page);
    let limit = i64::from(per_page);
    // A text filter tests every item of the round whatever the page, so its page and total
    // come from that one pass, which returns the ids of every match in order; the page is cut
    // from them (at most the round's ids: 800 KB for 100,000 items). Measured against a page
    // query and a second scan to count, and against a window count (`count(*) OVER ()`, which
    // materialises every match): on PostgreSQL 29 against 48 ms for a term in a third of
    // 100,000 items (`EXPLAIN ANALYZE`); the list bench's text filter p99 on PostgreSQL fell
    // from 80 to 53 ms (BENCHMARKS.md).
    let (page_ids, counted): (Vec<i64>, Option<i64>) = if text.is_some() {
        let all: Vec<i64> = ordered!(filtered!().select(items::id)).load(conn)?;
        let from = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
        let to = from.saturating_add(per_page as usize).min(all.len());
        (all[from..to].to_vec(), Some(all.len() as i64))
    } else {
        let ids = ordered!(filtered!().select(items::id))
            .limit(limit)
            .offset(offset)
            .load(conn)?;
        (ids, None)
    };
    let mut rows: Vec<Row> = if page_ids.is_empty() {
        Vec::new()
    } else {
        items::table
            .filter(items::id.eq_any(&page_ids))
            .select((
                items::id,
                items::department_id,
                items::kind,
                items::name,
                items::identity_key,
                items::licence,
                items::cycle_months,
                items::cycle_text,
                items::annual_report,
                items::self_set,
                items::proposed,
                items::proposed_cycle_months,
                items::state,
            ))
            .load(conn)?
    };
    let position: HashMap<i64, usize> = page_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i))
        .collect();
    rows.sort_by_key(|r| position.get(&r.0).copied().unwrap_or(usize::MAX));
    // A short first page, or a short page that is not past the end, tells the total without
    // counting the round again.
    let total: i64 = if let Some(total) = counted {
        total
    } else if (page_ids.len() as u32) < per_page && (page == 1 || !page_ids.is_empty()) {
        offset + page_ids.len() as i64
    } else {
        filtered!().count().get_result(conn)?
    };

    let mut department_names: HashMap<i64, String> = HashMap::new();
    {
        let mut wanted: Vec<i64> = rows.iter().map(|r| r.1).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if !wanted.is_empty() {
            let found: Vec<(i64, String)> = departments::table
                .filter(departments::id.eq_any(&wanted))
                .select((departments::id, departments::name))
                .load(conn)?;
            department_names.extend(found);
        }
    }

    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut found: HashMap<i64, Vec<FindingView>> = HashMap::new();
    let mut decided: HashMap<i64, DecisionView> = HashMap::new();
    if !ids.is_empty() {
        for f in crate::db::items::findings_of(conn, &ids)? {
            found.entry(f.item_id).or_default().push(FindingView {
                message: f.message(lang).to_owned(),
                code: f.code,
                severity: f.severity,
                resolved: f.resolved,
            });
        }
        let rows: Vec<DecisionTuple> = decisions::table
            .filter(decisions::item_id.eq_any(&ids))
            .filter(decisions::superseded_at.is_null())
            .select((
                decisions::item_id,
                decisions::disposition,
                decisions::cycle_months,
                decisions::rationale,
                decisions::necessity,
                decisions::decided_at,
            ))
            .load(conn)?;
        for (id, decision, cycle_months, rationale, necessity, decided_at) in rows {
            decided.insert(
                id,
                DecisionView {
                    decision,
                    cycle_months,
                    rationale,
                    necessity,
                    decided_at,
                },
            );
        }
    }
    let items = rows
        .into_iter()
        .map(|r| ItemSummary {
            id: r.0,
            department_id: r.1,
            department: department_names.get(&r.1).cloned().unwrap_or_default(),
            kind: r.2,
            name: r.3,
            licence: r.5,
            cycle_months: r.6,
            cycle_text: r.7,
            annual_report: r.8,
            self_set: r.9,
            proposed: r.10,
            proposed_cycle_months: r.11,
            state: r.12,
            decision: decided.remove(&r.0),
            findings: found.remove(&r.0).unwrap_or_default(),
        })
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
        pages: (total + i64::from(per_page) - 1) / i64::from(per_page),
    })
}
