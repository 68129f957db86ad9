//! The office's decisions: validated, recorded with history, audited, and followed by a
//! recomputation of the item's findings.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::audit::{self, Actor, Change};
use crate::db::items::{ItemRow, state};
use crate::db::schema::{decisions, items};
use crate::db::{DbConnection, now, write_transaction};
use crate::domain::{Disposition, Kind, Lang};
use crate::service::findings::{self, Selection};

/// What a reviewer asks for.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    pub decision: String,
    pub cycle_months: Option<u32>,
    pub rationale: String,
    pub necessity: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = decisions, treat_none_as_default_value = false)]
struct NewDecision {
    item_id: i64,
    disposition: String,
    cycle_months: Option<i64>,
    rationale: String,
    necessity: Option<String>,
    decided_by: Option<i64>,
    decided_at: NaiveDateTime,
    superseded_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = decisions)]
pub struct DecisionRow {
    pub id: i64,
    pub item_id: i64,
    pub disposition: String,
    pub cycle_months: Option<i64>,
    pub rationale: String,
    pub necessity: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: NaiveDateTime,
    pub superseded_at: Option<NaiveDateTime>,
}

/// Why a decision is refused. Each has a stable code and a message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionError {
    ItemNotFound,
    OtherRound,
    Withdrawn,
    Published,
    UnknownDisposition(String),
    RationaleMissing,
    CycleRequired,
    CycleNotLonger {
        current: Option<u32>,
        requested: u32,
    },
    StandardiseOnInspection,
    NecessityRequired,
    Db(String),
}

impl From<diesel::result::Error> for DecisionError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => DecisionError::ItemNotFound,
            other => DecisionError::Db(other.to_string()),
        }
    }
}

impl DecisionError {
    pub fn code(&self) -> &'static str {
        match self {
            DecisionError::ItemNotFound => "item_not_found",
            DecisionError::OtherRound => "item_of_other_round",
            DecisionError::Withdrawn => "item_withdrawn",
            DecisionError::Published => "item_published",
            DecisionError::UnknownDisposition(_) => "unknown_disposition",
            DecisionError::RationaleMissing => "rationale_missing",
            DecisionError::CycleRequired => "cycle_required",
            DecisionError::CycleNotLonger { .. } => "cycle_not_longer",
            DecisionError::StandardiseOnInspection => "standardise_on_inspection",
            DecisionError::NecessityRequired => "necessity_required",
            DecisionError::Db(_) => "internal",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            DecisionError::ItemNotFound => ("未找到该事项".into(), "No such item".into()),
            DecisionError::OtherRound => (
                "该事项不属于本次清理批次".into(),
                "The item belongs to another round".into(),
            ),
            DecisionError::Withdrawn => (
                "该事项已被部门在新报送中删除，不能再作决定".into(),
                "The department's newer submission no longer lists this item".into(),
            ),
            DecisionError::Published => (
                "该事项已公布，不能再修改决定".into(),
                "The item has been published; its decision can no longer change".into(),
            ),
            DecisionError::UnknownDisposition(s) => (
                format!("无法识别的处理决定“{s}”，可选：保留、取消、延长周期、改为年度报告公示、规范"),
                format!("Unknown decision “{s}”: use retain, cancel, extend_cycle, convert_to_annual_report or standardise"),
            ),
            DecisionError::RationaleMissing => ("请填写决定理由".into(), "A rationale is required".into()),
            DecisionError::CycleRequired => (
                "延长周期须填写新的检验周期（月）".into(),
                "extend_cycle needs the new cycle in months".into(),
            ),
            DecisionError::CycleNotLonger { current, requested } => (
                format!(
                    "新的检验周期（{requested}个月）必须长于现行周期（{}）",
                    current.map_or("不定期".to_string(), |c| format!("{c}个月"))
                ),
                format!(
                    "The new cycle ({requested} months) must be longer than the current one ({})",
                    current.map_or("irregular".to_string(), |c| format!("{c} months"))
                ),
            ),
            DecisionError::StandardiseOnInspection => (
                "“规范”只适用于指定培训，年检事项请选择其他处理决定".into(),
                "standardise applies to designated trainings only".into(),
            ),
            DecisionError::NecessityRequired => (
                "保留没有法定依据或我省自行设定的年检事项，须填写必要性评估论证".into(),
                "Keeping an inspection without legal basis or set by the province requires a necessity assessment".into(),
            ),
            DecisionError::Db(_) => ("服务器内部错误，已记录".into(), "Internal error; it has been logged".into()),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A validated decision.
#[derive(Debug, Clone)]
struct Valid {
    disposition: Disposition,
    cycle_months: Option<u32>,
    rationale: String,
    necessity: Option<String>,
}

fn validate(
    item: &ItemRow,
    input: &DecisionInput,
    has_legal_basis: bool,
) -> Result<Valid, DecisionError> {
    if item.withdrawn {
        return Err(DecisionError::Withdrawn);
    }
    if item.state == state::PUBLISHED {
        return Err(DecisionError::Published);
    }
    let disposition = Disposition::from_code(input.decision.trim())
        .or_else(|| {
            Disposition::ALL
                .iter()
                .copied()
                .find(|d| d.zh() == input.decision.trim())
        })
        .ok_or_else(|| {
            DecisionError::UnknownDisposition(input.decision.chars().take(40).collect())
        })?;
    let rationale = input.rationale.trim().to_string();
    if rationale.is_empty() {
        return Err(DecisionError::RationaleMissing);
    }
    let kind = Kind::from_code(&item.kind).unwrap_or(Kind::Inspection);
    if disposition == Disposition::Standardise && kind == Kind::Inspection {
        return Err(DecisionError::StandardiseOnInspection);
    }
    let current = item.cycle_months.and_then(|c| u32::try_from(c).ok());
    let cycle_months = if disposition == Disposition::ExtendCycle {
        let requested = input.cycle_months.ok_or(DecisionError::CycleRequired)?;
        if current.is_some_and(|c| requested <= c) || requested == 0 || requested > 120 {
            return Err(DecisionError::CycleNotLonger { current, requested });
        }
        Some(requested)
    } else {
        None
    };
    let necessity = input
        .necessity
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let flagged = kind == Kind::Inspection && (!has_legal_basis || item.self_set);
    if flagged && disposition.keeps() && necessity.is_none() {
        return Err(DecisionError::NecessityRequired);
    }
    Ok(Valid {
        disposition,
        cycle_months,
        rationale,
        necessity,
    })
}

/// Whether the item has a legal basis (not only normative documents), read from its bases.
fn has_legal_basis(conn: &mut DbConnection, item_id: i64) -> QueryResult<bool> {
    let bases = crate::db::items::bases_of(conn, &[item_id])?;
    Ok(bases
        .get(&item_id)
        .is_some_and(|b| b.iter().any(|b| b.level.is_some_and(|l| l.is_legal()))))
}

/// Records a decision on one item of `round_id`. A newer decision replaces the older one, whose
/// row stays as history.
pub fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    item_id: i64,
    input: &DecisionInput,
) -> Result<DecisionRow, DecisionError> {
    write_transaction(conn, |conn| {
        let row = decide_in_tx(conn, actor, round_id, item_id, input)?;
        findings::recompute(
            conn,
            &Selection::Items {
                round_id,
                ids: vec![item_id],
            },
        )?;
        Ok(row)
    })
}

fn decide_in_tx(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    item_id: i64,
    input: &DecisionInput,
) -> Result<DecisionRow, DecisionError> {
    let item: ItemRow = items::table
        .find(item_id)
        .select(ItemRow::as_select())
        .first(conn)?;
    if item.round_id != round_id {
        return Err(DecisionError::OtherRound);
    }
    let valid = validate(&item, input, has_legal_basis(conn, item_id)?)?;
    let at = now();
    let previous: Option<DecisionRow> = decisions::table
        .filter(decisions::item_id.eq(item_id))
        .filter(decisions::superseded_at.is_null())
        .select(DecisionRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(prev) = &previous {
        diesel::update(decisions::table.find(prev.id))
            .set(decisions::superseded_at.eq(Some(at)))
            .execute(conn)?;
    }
    let id: i64 = diesel::insert_into(decisions::table)
        .values(NewDecision {
            item_id,
            disposition: valid.disposition.code().to_string(),
            cycle_months: valid.cycle_months.map(i64::from),
            rationale: valid.rationale,
            necessity: valid.necessity,
            decided_by: actor.user_id,
            decided_at: at,
            superseded_at: None,
        })
        .returning(decisions::id)
        .get_result(conn)?;
    let row: DecisionRow = decisions::table
        .find(id)
        .select(DecisionRow::as_select())
        .first(conn)?;
    diesel::update(items::table.find(item_id))
        .set((items::state.eq(state::DECIDED), items::updated_at.eq(at)))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "decision.record",
            entity: "item",
            entity_id: Some(item_id.to_string()),
            before: previous
                .as_ref()
                .map(|p| serde_json::to_value(p).unwrap_or_default()),
            after: Some(serde_json::to_value(&row).unwrap_or_default()),
        },
    )?;
    Ok(row)
}

/// One decision applied to many items, all or nothing: the first refusal names the item and
/// nothing is recorded.
pub fn decide_many(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    item_ids: &[i64],
    input: &DecisionInput,
) -> Result<usize, BulkError> {
    write_transaction(conn, |conn| {
        for &id in item_ids {
            decide_in_tx(conn, actor, round_id, id, input).map_err(|error| BulkError {
                item_id: Some(id),
                error,
            })?;
        }
        findings::recompute(
            conn,
            &Selection::Items {
                round_id,
                ids: item_ids.to_vec(),
            },
        )?;
        Ok(item_ids.len())
    })
}

/// A refused bulk decision: the item that stopped it (if one did) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkError {
    pub item_id: Option<i64>,
    pub error: DecisionError,
}

impl From<diesel::result::Error> for BulkError {
    fn from(e: diesel::result::Error) -> Self {
        BulkError {
            item_id: None,
            error: DecisionError::from(e),
        }
    }
}

/// The decision history of an item, newest first.
pub fn history(conn: &mut DbConnection, item_id: i64) -> QueryResult<Vec<DecisionRow>> {
    decisions::table
        .filter(decisions::item_id.eq(item_id))
        .order(decisions::id.desc())
        .select(DecisionRow::as_select())
        .load(conn)
}
