//! Rounds (清理批次): one clean-up campaign of a region with its submission deadline,
//! consultation window and publication deadline. Times are entered and shown in Beijing time
//! and stored in UTC; an order that cannot be (the consultation ending before it starts, the
//! submissions closing after the consultation opens, …) is refused naming both fields.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::time::{self, parse_beijing};
use super::{AdminError, Refusal, clean_code, quote, required_text};
use crate::db::audit::{self, Actor, Change};
use crate::db::regions::{self, Region};
use crate::db::schema::{departments, publications, rounds, submissions};
use crate::db::scope::Scope;
use crate::db::{DbConnection, now, write_transaction};

#[derive(Queryable, Selectable, Debug, Clone, PartialEq, Eq, Serialize)]
#[diesel(table_name = rounds)]
pub struct Round {
    pub id: i64,
    pub region_id: i64,
    pub name: String,
    /// UTC, like every stored time.
    pub submission_deadline: Option<NaiveDateTime>,
    pub consultation_starts_at: Option<NaiveDateTime>,
    pub consultation_ends_at: Option<NaiveDateTime>,
    pub publication_deadline: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A round as an admin enters it: the region's code and times in Beijing time
/// (`2017-04-30T18:00`); blank times are "not set".
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoundInput {
    pub name: String,
    pub region: String,
    #[serde(default)]
    pub submission_deadline: Option<String>,
    #[serde(default)]
    pub consultation_start: Option<String>,
    #[serde(default)]
    pub consultation_end: Option<String>,
    #[serde(default)]
    pub publication_deadline: Option<String>,
}

/// The four times of a round, in UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    pub submission_deadline: Option<NaiveDateTime>,
    pub consultation_start: Option<NaiveDateTime>,
    pub consultation_end: Option<NaiveDateTime>,
    pub publication_deadline: Option<NaiveDateTime>,
}

/// The field names and labels of the four times, in the order they must come.
pub const FIELDS: [(&str, &str, &str); 4] = [
    (
        "submission_deadline",
        "报送截止时间",
        "the submission deadline",
    ),
    (
        "consultation_start",
        "征求意见开始时间",
        "the consultation start",
    ),
    (
        "consultation_end",
        "征求意见结束时间",
        "the consultation end",
    ),
    (
        "publication_deadline",
        "公布截止时间",
        "the publication deadline",
    ),
];

impl Schedule {
    fn values(&self) -> [Option<NaiveDateTime>; 4] {
        [
            self.submission_deadline,
            self.consultation_start,
            self.consultation_end,
            self.publication_deadline,
        ]
    }
}

/// Refuses an order that cannot be: the consultation starts strictly before it ends, and
/// otherwise each time given is no earlier than every time given before it (submissions close
/// before the consultation opens; the consultation ends before the publication deadline).
pub fn check_schedule(s: &Schedule) -> Result<(), Refusal> {
    let v = s.values();
    for i in 0..v.len() {
        for j in i + 1..v.len() {
            let (Some(a), Some(b)) = (v[i], v[j]) else {
                continue;
            };
            let strict = i == 1 && j == 2;
            let wrong = if strict { a >= b } else { a > b };
            if wrong {
                let (_, zha, ena) = FIELDS[i];
                let (fb, zhb, enb) = FIELDS[j];
                let (zh_rel, en_rel) = if strict {
                    ("须早于", "must be before")
                } else {
                    ("不能晚于", "must not be after")
                };
                return Err(Refusal::invalid(
                    "schedule_order",
                    Some(fb),
                    format!(
                        "时间顺序有误：{zha}（{}）{zh_rel}{zhb}（{}）",
                        time::display(a),
                        time::display(b)
                    ),
                    format!(
                        "the times are out of order: {ena} ({}) {en_rel} {enb} ({})",
                        time::display(a),
                        time::display(b)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A round input that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRound {
    pub name: String,
    pub region: String,
    pub schedule: Schedule,
}

pub fn check_input(input: &RoundInput) -> Result<CheckedRound, Refusal> {
    let name = required_text("name", ("批次名称", "the round name"), &input.name, 200)?;
    let region = clean_code(&input.region);
    if region.is_empty() {
        return Err(Refusal::invalid(
            "required",
            Some("region"),
            "请选择区划",
            "the region is required",
        ));
    }
    let parse = |i: usize, raw: &Option<String>| {
        let (field, zh, en) = FIELDS[i];
        parse_beijing(field, (zh, en), raw.as_deref())
    };
    let schedule = Schedule {
        submission_deadline: parse(0, &input.submission_deadline)?,
        consultation_start: parse(1, &input.consultation_start)?,
        consultation_end: parse(2, &input.consultation_end)?,
        publication_deadline: parse(3, &input.publication_deadline)?,
    };
    check_schedule(&schedule)?;
    Ok(CheckedRound {
        name,
        region,
        schedule,
    })
}

fn unknown_region(code: &str) -> Refusal {
    Refusal::invalid(
        "unknown_region",
        Some("region"),
        format!("区划代码“{}”不存在", quote(code)),
        format!("there is no region with the code “{}”", quote(code)),
    )
}

pub fn no_round(id: i64) -> Refusal {
    Refusal::not_found(
        "round_not_found",
        format!("未找到清理批次 {id}"),
        format!("no round {id}"),
    )
}

fn same_name_taken(
    conn: &mut DbConnection,
    region_id: i64,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let mut q = rounds::table
        .filter(rounds::region_id.eq(region_id))
        .filter(rounds::name.eq(name))
        .select(rounds::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(rounds::id.ne(id));
    }
    Ok(q.first::<i64>(conn).optional()?.is_some())
}

fn duplicate_name(name: &str) -> Refusal {
    Refusal::conflict(
        "duplicate_name",
        Some("name"),
        format!("该区划已有名为“{}”的清理批次", quote(name)),
        format!("the region already has a round named “{}”", quote(name)),
    )
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Round>> {
    rounds::table
        .find(id)
        .select(Round::as_select())
        .first(conn)
        .optional()
}

/// Every round, newest first (for admins).
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<Round>> {
    rounds::table
        .select(Round::as_select())
        .order(rounds::id.desc())
        .load(conn)
}

/// Adds a round. Makes its own transaction.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &RoundInput,
) -> Result<Round, AdminError> {
    let checked = check_input(input)?;
    write_transaction(conn, |c| {
        let region = regions::find_by_code(c, &checked.region)?
            .ok_or_else(|| unknown_region(&checked.region))?;
        if same_name_taken(c, region.id, &checked.name, None)? {
            return Err(duplicate_name(&checked.name).into());
        }
        let s = checked.schedule;
        let id = diesel::insert_into(rounds::table)
            .values((
                rounds::region_id.eq(region.id),
                rounds::name.eq(&checked.name),
                rounds::submission_deadline.eq(s.submission_deadline),
                rounds::consultation_starts_at.eq(s.consultation_start),
                rounds::consultation_ends_at.eq(s.consultation_end),
                rounds::publication_deadline.eq(s.publication_deadline),
                rounds::created_at.eq(now()),
            ))
            .returning(rounds::id)
            .get_result::<i64>(c)?;
        let round = find(c, id)?.ok_or_else(|| no_round(id))?;
        audit::record(
            c,
            actor,
            Change {
                action: "round.create",
                entity: "round",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!(round)),
            },
        )?;
        Ok(round)
    })
}

/// Replaces a round's name, region and times. The region may change only while nothing was
/// submitted or published in the round. Makes its own transaction.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    input: &RoundInput,
) -> Result<Round, AdminError> {
    let checked = check_input(input)?;
    write_transaction(conn, |c| {
        let before = find(c, id)?.ok_or_else(|| no_round(id))?;
        let region = regions::find_by_code(c, &checked.region)?
            .ok_or_else(|| unknown_region(&checked.region))?;
        if region.id != before.region_id {
            let used: i64 = submissions::table
                .filter(submissions::round_id.eq(id))
                .count()
                .get_result(c)?;
            let published: i64 = publications::table
                .filter(publications::round_id.eq(id))
                .count()
                .get_result(c)?;
            if used + published > 0 {
                return Err(Refusal::conflict(
                    "round_in_use",
                    Some("region"),
                    "该批次已有报送或公布，不能再改变所属区划",
                    "the round has submissions or publications: its region can no longer change",
                )
                .into());
            }
        }
        if same_name_taken(c, region.id, &checked.name, Some(id))? {
            return Err(duplicate_name(&checked.name).into());
        }
        let s = checked.schedule;
        diesel::update(rounds::table.find(id))
            .set((
                rounds::region_id.eq(region.id),
                rounds::name.eq(&checked.name),
                rounds::submission_deadline.eq(s.submission_deadline),
                rounds::consultation_starts_at.eq(s.consultation_start),
                rounds::consultation_ends_at.eq(s.consultation_end),
                rounds::publication_deadline.eq(s.publication_deadline),
            ))
            .execute(c)?;
        let after = find(c, id)?.ok_or_else(|| no_round(id))?;
        if after != before {
            audit::record(
                c,
                actor,
                Change {
                    action: "round.update",
                    entity: "round",
                    entity_id: Some(id.to_string()),
                    before: Some(serde_json::json!(before)),
                    after: Some(serde_json::json!(after)),
                },
            )?;
        }
        Ok(after)
    })
}

/// A round as lists show it: with its region, times in Beijing time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundView {
    pub id: i64,
    pub name: String,
    pub region_id: i64,
    pub region_code: String,
    pub region_name: String,
    /// RFC 3339 in Beijing time (`2017-04-30T18:00:00+08:00`), or null.
    pub submission_deadline: Option<String>,
    pub consultation_start: Option<String>,
    pub consultation_end: Option<String>,
    pub publication_deadline: Option<String>,
    pub created_at: String,
}

impl RoundView {
    pub fn of(round: &Round, region: Option<&Region>) -> RoundView {
        RoundView {
            id: round.id,
            name: round.name.clone(),
            region_id: round.region_id,
            region_code: region.map(|r| r.code.clone()).unwrap_or_default(),
            region_name: region.map(|r| r.name.clone()).unwrap_or_default(),
            submission_deadline: round.submission_deadline.map(time::rfc3339),
            consultation_start: round.consultation_starts_at.map(time::rfc3339),
            consultation_end: round.consultation_ends_at.map(time::rfc3339),
            publication_deadline: round.publication_deadline.map(time::rfc3339),
            created_at: time::rfc3339(round.created_at),
        }
    }
}

/// The region ids whose rounds a scope sees: the regions that hold a region of the scope (a
/// reviewer's regions, a submitter's department's region), themselves included; `None` for all.
/// The same reach as `service::submit::round_visible`, for a whole list in two queries.
fn visible_round_regions(
    conn: &mut DbConnection,
    scope: &Scope,
    all: &[Region],
) -> QueryResult<Option<HashSet<i64>>> {
    let start: Vec<i64> = match scope {
        Scope::All => return Ok(None),
        Scope::Regions(ids) => ids.clone(),
        Scope::Department(id) => departments::table
            .find(*id)
            .select(departments::region_id)
            .first::<i64>(conn)
            .optional()?
            .into_iter()
            .collect(),
    };
    let parent: HashMap<i64, Option<i64>> = all.iter().map(|r| (r.id, r.parent_id)).collect();
    let mut reach = HashSet::new();
    for id in start {
        let mut at = Some(id);
        // Bounded like `regions::subtree_ids`, against a hand-made cycle.
        for _ in 0..16 {
            let Some(r) = at else { break };
            if !reach.insert(r) {
                break;
            }
            at = parent.get(&r).copied().flatten();
        }
    }
    Ok(Some(reach))
}

/// The rounds a scope sees, newest first.
pub fn list_visible(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<RoundView>> {
    let all_regions = regions::list(conn)?;
    let reach = visible_round_regions(conn, scope, &all_regions)?;
    let by_id: HashMap<i64, &Region> = all_regions.iter().map(|r| (r.id, r)).collect();
    let rounds: Vec<Round> = rounds::table
        .select(Round::as_select())
        .order(rounds::id.desc())
        .load(conn)?;
    Ok(rounds
        .iter()
        .filter(|r| reach.as_ref().is_none_or(|set| set.contains(&r.region_id)))
        .map(|r| RoundView::of(r, by_id.get(&r.region_id).copied()))
        .collect())
}

/// One round if the scope sees it.
pub fn find_visible(
    conn: &mut DbConnection,
    scope: &Scope,
    id: i64,
) -> QueryResult<Option<RoundView>> {
    Ok(list_visible(conn, scope)?.into_iter().find(|r| r.id == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(times: [&str; 4]) -> RoundInput {
        let t = |s: &str| (!s.is_empty()).then(|| s.to_string());
        RoundInput {
            name: "2017年清理".into(),
            region: "370000".into(),
            submission_deadline: t(times[0]),
            consultation_start: t(times[1]),
            consultation_end: t(times[2]),
            publication_deadline: t(times[3]),
        }
    }

    #[test]
    fn a_sound_schedule_passes_and_is_stored_in_utc() {
        let ok = check_input(&input([
            "2017-04-30T18:00",
            "2017-05-10T09:00",
            "2017-05-31T18:00",
            "2017-06-30T18:00",
        ]))
        .unwrap();
        assert_eq!(
            ok.schedule.submission_deadline.map(|t| t.to_string()),
            Some("2017-04-30 10:00:00".into())
        );
        // Times may be left out; equal times where "no later than" is asked are fine.
        assert!(check_input(&input(["", "", "", ""])).is_ok());
        assert!(check_input(&input(["2017-05-10T09:00", "2017-05-10T09:00", "", ""])).is_ok());
    }

    #[test]
    fn a_wrong_order_is_refused_naming_both_fields() {
        let e = check_input(&input(["", "2017-05-31T18:00", "2017-05-10T09:00", ""])).unwrap_err();
        assert_eq!(
            (e.code, e.field),
            ("schedule_order", Some("consultation_end"))
        );
        assert!(
            e.zh.contains("征求意见开始时间") && e.zh.contains("征求意见结束时间"),
            "{}",
            e.zh
        );
        assert!(
            e.zh.contains("2017-05-31 18:00"),
            "shown in Beijing time: {}",
            e.zh
        );
        let e = check_input(&input(["", "2017-05-10T09:00", "2017-05-10T09:00", ""])).unwrap_err();
        assert_eq!(e.field, Some("consultation_end"), "start = end is refused");
        let e = check_input(&input(["2017-05-11T09:00", "2017-05-10T09:00", "", ""])).unwrap_err();
        assert_eq!(e.field, Some("consultation_start"));
        assert!(e.en.contains("the submission deadline"), "{}", e.en);
        let e = check_input(&input(["", "", "2017-07-01T00:00", "2017-06-30T18:00"])).unwrap_err();
        assert_eq!(e.field, Some("publication_deadline"));
        // With the consultation left out, submissions still close before publication.
        let e = check_input(&input(["2017-07-01T00:00", "", "", "2017-06-30T18:00"])).unwrap_err();
        assert_eq!(e.field, Some("publication_deadline"));
    }

    #[test]
    fn name_region_and_times_are_required_or_readable() {
        let mut i = input(["", "", "", ""]);
        i.name = " ".into();
        assert_eq!(check_input(&i).unwrap_err().field, Some("name"));
        let mut i = input(["", "", "", ""]);
        i.region = "".into();
        assert_eq!(check_input(&i).unwrap_err().field, Some("region"));
        let e = check_input(&input(["soon", "", "", ""])).unwrap_err();
        assert_eq!((e.code, e.field), ("bad_time", Some("submission_deadline")));
    }
}
