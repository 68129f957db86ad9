//! The office's dashboard of a round (issue #8): where each department stands against the
//! submission deadline, the items by kind and decision, and the plan's outcome figures. One
//! computation, read by the page, its charts, the API, the report workbook and the CLI.
//!
//! Definitions (also on the page and in the README):
//! - **before** is the items as the departments submitted them (their live items, with the cycle
//!   they stated);
//! - **after** is the items per the office's current decisions: cancelled items are gone, items
//!   converted to annual reports are no longer inspections, an extended cycle takes its new
//!   length; an item not yet decided counts as submitted (unchanged);
//! - **once a year**: an inspection whose cycle is 12 months or less; irregular inspections (no
//!   cycle) count in neither the once-a-year share's numerator nor the average cycle;
//! - a department is **not submitted** without a current submission, **with errors** while one
//!   of its live items has an unresolved error finding, **published** when all its items are
//!   published, **decided** when all are decided (or published), else **clean**; it is
//!   **overdue** when the deadline has passed and it has not submitted or still has errors.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::departments::Department;
use crate::db::items::state;
use crate::db::regions;
use crate::db::schema::{decisions, departments, findings, items, rounds, submissions};
use crate::db::scope::{Ids, Scope};
use crate::db::{DbConnection, now};
use crate::domain::publication::List;
use crate::domain::{Disposition, Kind, Lang};
use crate::service::admin::time;
use crate::service::submit;

/// Where a department stands in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentState {
    NotSubmitted,
    WithErrors,
    Clean,
    Decided,
    Published,
}

impl DepartmentState {
    pub const ALL: &'static [DepartmentState] = &[
        DepartmentState::NotSubmitted,
        DepartmentState::WithErrors,
        DepartmentState::Clean,
        DepartmentState::Decided,
        DepartmentState::Published,
    ];
    pub fn code(self) -> &'static str {
        match self {
            DepartmentState::NotSubmitted => "not_submitted",
            DepartmentState::WithErrors => "with_errors",
            DepartmentState::Clean => "clean",
            DepartmentState::Decided => "decided",
            DepartmentState::Published => "published",
        }
    }
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            DepartmentState::NotSubmitted => lang.pick("未报送", "not submitted"),
            DepartmentState::WithErrors => lang.pick("已报送，有错误", "submitted with errors"),
            DepartmentState::Clean => lang.pick("已报送，无错误", "submitted, clean"),
            DepartmentState::Decided => lang.pick("已作决定", "decided"),
            DepartmentState::Published => lang.pick("已公布", "published"),
        }
    }
    /// Whether the department still owes the office something before the deadline.
    pub fn needs_reminder(self) -> bool {
        matches!(
            self,
            DepartmentState::NotSubmitted | DepartmentState::WithErrors
        )
    }
}

/// The columns of "items by decision": the five dispositions, then undecided.
pub const DECISION_COLUMNS: usize = 6;

/// Counts by the current decision, in [`Disposition::ALL`] order, then undecided.
pub type DecisionCounts = [u32; DECISION_COLUMNS];

fn decision_column(d: Option<Disposition>) -> usize {
    match d {
        Some(d) => Disposition::ALL.iter().position(|x| *x == d).unwrap_or(0),
        None => DECISION_COLUMNS - 1,
    }
}

/// The label of a column of [`DecisionCounts`].
pub fn decision_label(column: usize, lang: Lang) -> &'static str {
    match Disposition::ALL.get(column) {
        Some(d) => d.label(lang),
        None => lang.pick("未决定", "undecided"),
    }
}

/// One department's line of the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region: String,
    pub state: DepartmentState,
    pub state_label: &'static str,
    pub overdue: bool,
    /// First and latest upload, UTC.
    pub first_submitted_at: Option<NaiveDateTime>,
    pub last_submitted_at: Option<NaiveDateTime>,
    pub items: u32,
    pub inspections: u32,
    pub trainings: u32,
    /// Live items with an unresolved error finding.
    pub items_with_errors: u32,
    pub decided: u32,
    pub published: u32,
    /// By current decision ([`DECISION_COLUMNS`]).
    pub by_decision: DecisionCounts,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// The plan's outcome figures. Shares are fractions (0.25 = 25%), `None` when undefined.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub inspections_before: u32,
    pub inspections_after: u32,
    pub inspections_cancelled: u32,
    pub share_cancelled: Option<f64>,
    pub once_a_year_before: u32,
    pub once_a_year_after: u32,
    pub share_once_a_year_before: Option<f64>,
    pub share_once_a_year_after: Option<f64>,
    /// Months, over the inspections with a fixed cycle.
    pub average_cycle_before: Option<f64>,
    pub average_cycle_after: Option<f64>,
    pub cycles_lengthened: u32,
    pub converted_to_annual_report: u32,
    pub trainings_before: u32,
    pub trainings_after: u32,
    pub trainings_cancelled: u32,
    pub trainings_standardised: u32,
    pub undecided: u32,
}

/// Uploads of one day (Beijing time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmissionDay {
    pub date: chrono::NaiveDate,
    /// Workbooks uploaded that day (re-uploads included).
    pub submissions: u32,
    /// Departments that had submitted by the end of that day.
    pub departments_cumulative: u32,
}

/// How many departments are in one state.
#[derive(Debug, Clone, Serialize)]
pub struct StateCount {
    pub state: DepartmentState,
    pub label: &'static str,
    pub departments: u32,
}

/// Items of one kind by current decision.
#[derive(Debug, Clone, Serialize)]
pub struct KindLine {
    pub kind: Kind,
    pub label: &'static str,
    pub total: u32,
    pub by_decision: DecisionCounts,
}

/// A decided item, as the report's four lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedItem {
    pub list: List,
    pub department: String,
    pub kind: Kind,
    pub name: String,
    pub licence: Option<String>,
    pub cycle_before: Option<i64>,
    pub cycle_after: Option<i64>,
    pub disposition: Disposition,
    pub rationale: String,
}

/// Everything the dashboard shows of a round.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub round_id: i64,
    pub round_name: String,
    pub region_code: String,
    pub region_name: String,
    pub submission_deadline: Option<NaiveDateTime>,
    pub deadline_passed: bool,
    pub computed_at: NaiveDateTime,
    pub departments: Vec<DepartmentLine>,
    /// Departments per state, in [`DepartmentState::ALL`] order.
    pub states: Vec<StateCount>,
    pub overdue: u32,
    pub kinds: Vec<KindLine>,
    pub outcome: Outcome,
    pub submissions: Vec<SubmissionDay>,
    /// The decided items, list by list; the report writes them out.
    #[serde(skip)]
    pub lists: Vec<ListedItem>,
}

impl Dashboard {
    /// The departments that still owe a submission or a fix.
    pub fn reminders(&self) -> impl Iterator<Item = &DepartmentLine> {
        self.departments.iter().filter(|d| d.state.needs_reminder())
    }
}

fn share(n: u32, of: u32) -> Option<f64> {
    (of > 0).then(|| f64::from(n) / f64::from(of))
}

fn average(values: &[i64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<i64>() as f64 / values.len() as f64)
}

type ItemTuple = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    String,
);

/// The dashboard of a round as a scope sees it: the round's region and its subtree, within the
/// scope. `None` when the round does not exist or lies outside the scope.
pub fn compute(
    conn: &mut DbConnection,
    scope: &Scope,
    round_id: i64,
    lang: Lang,
) -> QueryResult<Option<Dashboard>> {
    compute_at(conn, scope, round_id, lang, now())
}

/// [`compute`] at a given time (tests fix "now" against the deadline).
pub fn compute_at(
    conn: &mut DbConnection,
    scope: &Scope,
    round_id: i64,
    lang: Lang,
    at: NaiveDateTime,
) -> QueryResult<Option<Dashboard>> {
    if !submit::round_visible(conn, scope, round_id)? {
        return Ok(None);
    }
    let (round_name, region_id, deadline): (String, i64, Option<NaiveDateTime>) = rounds::table
        .find(round_id)
        .select((rounds::name, rounds::region_id, rounds::submission_deadline))
        .first(conn)?;
    let region = regions::find(conn, region_id)?.ok_or(diesel::result::Error::NotFound)?;
    let subtree = regions::subtree_ids(conn, region_id)?;
    let region_names: HashMap<i64, String> = regions::list(conn)?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();

    let mut q = departments::table
        .filter(departments::region_id.eq_any(&subtree))
        .order((departments::region_id, departments::code))
        .select(Department::as_select())
        .into_boxed();
    if let Ids::Only(ids) = scope.department_ids(conn)? {
        q = q.filter(departments::id.eq_any(ids));
    }
    let deps: Vec<Department> = q.load(conn)?;
    let dep_ids: Vec<i64> = deps.iter().map(|d| d.id).collect();

    // Uploads: every submission of these departments in the round, current or superseded.
    let uploads: Vec<(i64, NaiveDateTime, Option<i64>)> = submissions::table
        .filter(submissions::round_id.eq(round_id))
        .filter(submissions::department_id.eq_any(&dep_ids))
        .order(submissions::uploaded_at)
        .select((
            submissions::department_id,
            submissions::uploaded_at,
            submissions::superseded_by,
        ))
        .load(conn)?;

    let live: Vec<ItemTuple> = items::table
        .filter(items::round_id.eq(round_id))
        .filter(items::withdrawn.eq(false))
        .filter(items::department_id.eq_any(&dep_ids))
        .order((items::department_id, items::row_number, items::id))
        .select((
            items::id,
            items::department_id,
            items::kind,
            items::name,
            items::licence,
            items::cycle_months,
            items::state,
        ))
        .load(conn)?;
    let item_ids: Vec<i64> = live.iter().map(|i| i.0).collect();
    let mut decided: HashMap<i64, (String, Option<i64>, String)> = HashMap::new();
    let mut with_errors: HashSet<i64> = HashSet::new();
    for chunk in item_ids.chunks(crate::db::items::INSERT_CHUNK * 4) {
        let rows: Vec<(i64, String, Option<i64>, String)> = decisions::table
            .filter(decisions::item_id.eq_any(chunk))
            .filter(decisions::superseded_at.is_null())
            .select((
                decisions::item_id,
                decisions::disposition,
                decisions::cycle_months,
                decisions::rationale,
            ))
            .load(conn)?;
        decided.extend(rows.into_iter().map(|(id, d, c, r)| (id, (d, c, r))));
        let errs: Vec<i64> = findings::table
            .filter(findings::item_id.eq_any(chunk))
            .filter(findings::severity.eq("error"))
            .filter(findings::resolved.eq(false))
            .select(findings::item_id)
            .load(conn)?;
        with_errors.extend(errs);
    }

    let deadline_passed = deadline.is_some_and(|d| at > d);
    let dep_names: HashMap<i64, &str> = deps.iter().map(|d| (d.id, d.name.as_str())).collect();
    let mut lines: Vec<DepartmentLine> = deps
        .iter()
        .map(|d| DepartmentLine {
            id: d.id,
            code: d.code.clone(),
            name: d.name.clone(),
            region: region_names.get(&d.region_id).cloned().unwrap_or_default(),
            state: DepartmentState::NotSubmitted,
            state_label: "",
            overdue: false,
            first_submitted_at: None,
            last_submitted_at: None,
            items: 0,
            inspections: 0,
            trainings: 0,
            items_with_errors: 0,
            decided: 0,
            published: 0,
            by_decision: [0; DECISION_COLUMNS],
            contact_person: d.contact_person.clone(),
            contact_phone: d.contact_phone.clone(),
            contact_email: d.contact_email.clone(),
        })
        .collect();
    let index: HashMap<i64, usize> = lines.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
    let mut has_current: HashSet<i64> = HashSet::new();
    for (dep, at, superseded) in &uploads {
        let line = &mut lines[index[dep]];
        line.first_submitted_at.get_or_insert(*at);
        line.last_submitted_at = Some(*at);
        if superseded.is_none() {
            has_current.insert(*dep);
        }
    }

    let mut outcome = Outcome::default();
    let mut kinds: BTreeMap<Kind, KindLine> = Kind::ALL
        .iter()
        .map(|k| {
            (
                *k,
                KindLine {
                    kind: *k,
                    label: k.label(lang),
                    total: 0,
                    by_decision: [0; DECISION_COLUMNS],
                },
            )
        })
        .collect();
    let (mut cycles_before, mut cycles_after) = (Vec::new(), Vec::new());
    let mut lists = Vec::new();
    for (id, dep, kind, name, licence, cycle, item_state) in &live {
        let kind = Kind::from_code(kind).unwrap_or(Kind::Inspection);
        let decision = decided.get(id);
        let disposition = decision.and_then(|d| Disposition::from_code(&d.0));
        let column = decision_column(disposition);
        let line = &mut lines[index[dep]];
        line.items += 1;
        line.by_decision[column] += 1;
        if with_errors.contains(id) {
            line.items_with_errors += 1;
        }
        if item_state == state::PUBLISHED {
            line.published += 1;
        } else if disposition.is_some() {
            line.decided += 1;
        }
        if let Some(k) = kinds.get_mut(&kind) {
            k.total += 1;
            k.by_decision[column] += 1;
        }
        if disposition.is_none() {
            outcome.undecided += 1;
        }
        let cycle_after = match disposition {
            Some(Disposition::Cancel | Disposition::ConvertToAnnualReport) => None,
            Some(Disposition::ExtendCycle) => decision.and_then(|d| d.1).or(*cycle),
            _ => *cycle,
        };
        match kind {
            Kind::Inspection => {
                line.inspections += 1;
                outcome.inspections_before += 1;
                if let Some(c) = cycle {
                    cycles_before.push(*c);
                    if *c <= 12 {
                        outcome.once_a_year_before += 1;
                    }
                }
                match disposition {
                    Some(Disposition::Cancel) => outcome.inspections_cancelled += 1,
                    Some(Disposition::ConvertToAnnualReport) => {
                        outcome.converted_to_annual_report += 1
                    }
                    other => {
                        outcome.inspections_after += 1;
                        if other == Some(Disposition::ExtendCycle) {
                            outcome.cycles_lengthened += 1;
                        }
                        if let Some(c) = cycle_after {
                            cycles_after.push(c);
                            if c <= 12 {
                                outcome.once_a_year_after += 1;
                            }
                        }
                    }
                }
            }
            Kind::Training => {
                line.trainings += 1;
                outcome.trainings_before += 1;
                match disposition {
                    Some(Disposition::Cancel) => outcome.trainings_cancelled += 1,
                    Some(Disposition::Standardise) => {
                        outcome.trainings_standardised += 1;
                        outcome.trainings_after += 1;
                    }
                    _ => outcome.trainings_after += 1,
                }
            }
        }
        if let (Some(d), Some((_, _, rationale))) = (disposition, decision) {
            lists.push(ListedItem {
                list: List::of(kind, d),
                department: dep_names.get(dep).copied().unwrap_or_default().to_string(),
                kind,
                name: name.clone(),
                licence: licence.clone(),
                cycle_before: *cycle,
                cycle_after,
                disposition: d,
                rationale: rationale.clone(),
            });
        }
    }
    outcome.share_cancelled = share(outcome.inspections_cancelled, outcome.inspections_before);
    outcome.share_once_a_year_before =
        share(outcome.once_a_year_before, outcome.inspections_before);
    outcome.share_once_a_year_after = share(outcome.once_a_year_after, outcome.inspections_after);
    outcome.average_cycle_before = average(&cycles_before);
    outcome.average_cycle_after = average(&cycles_after);
    lists.sort_by_key(|i| List::ALL.iter().position(|l| *l == i.list));

    let mut overdue = 0;
    for line in &mut lines {
        line.state = if !has_current.contains(&line.id) {
            DepartmentState::NotSubmitted
        } else if line.items_with_errors > 0 {
            DepartmentState::WithErrors
        } else if line.items > 0 && line.published == line.items {
            DepartmentState::Published
        } else if line.items > 0 && line.published + line.decided == line.items {
            DepartmentState::Decided
        } else {
            DepartmentState::Clean
        };
        line.state_label = line.state.label(lang);
        line.overdue = deadline_passed && line.state.needs_reminder();
        overdue += u32::from(line.overdue);
    }
    let states = DepartmentState::ALL
        .iter()
        .map(|s| StateCount {
            state: *s,
            label: s.label(lang),
            departments: lines.iter().filter(|l| l.state == *s).count() as u32,
        })
        .collect();

    Ok(Some(Dashboard {
        round_id,
        round_name,
        region_code: region.code,
        region_name: region.name,
        submission_deadline: deadline,
        deadline_passed,
        computed_at: at,
        departments: lines,
        states,
        overdue,
        kinds: kinds.into_values().collect(),
        outcome,
        submissions: submission_days(&uploads),
        lists,
    }))
}

/// Uploads per Beijing day, with the departments that had submitted by each day's end.
fn submission_days(uploads: &[(i64, NaiveDateTime, Option<i64>)]) -> Vec<SubmissionDay> {
    let mut days: Vec<SubmissionDay> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    for (dep, at, _) in uploads {
        let date = time::to_beijing(*at).date_naive();
        seen.insert(*dep);
        match days.last_mut() {
            Some(day) if day.date == date => {
                day.submissions += 1;
                day.departments_cumulative = seen.len() as u32;
            }
            _ => days.push(SubmissionDay {
                date,
                submissions: 1,
                departments_cumulative: seen.len() as u32,
            }),
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn uploads_group_by_beijing_day() {
        let t = |d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2017, 4, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        // 17:00 UTC on the 1st is 01:00 on the 2nd in Beijing.
        let days = submission_days(&[(1, t(1, 2), None), (2, t(1, 17), None), (1, t(2, 3), None)]);
        assert_eq!(days.len(), 2);
        assert_eq!(
            (days[0].submissions, days[0].departments_cumulative),
            (1, 1)
        );
        assert_eq!(days[1].date, NaiveDate::from_ymd_opt(2017, 4, 2).unwrap());
        assert_eq!(
            (days[1].submissions, days[1].departments_cumulative),
            (2, 2)
        );
    }

    #[test]
    fn shares_and_averages_are_undefined_on_nothing() {
        assert_eq!(share(1, 0), None);
        assert_eq!(share(1, 4), Some(0.25));
        assert_eq!(average(&[]), None);
        assert_eq!(average(&[12, 24, 36]), Some(24.0));
    }
}
