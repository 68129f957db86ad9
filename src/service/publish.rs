//! Publishing: the decided items of a round become an immutable, numbered snapshot of the
//! region's four lists. Refused while any item of the round has an unresolved error finding.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::audit::{self, Actor, Change};
use crate::db::items::{self as item_rows, ItemRow, state};
use crate::db::schema::{
    decisions, departments, finding_messages, findings, items, publications, published_items,
    regions, rounds,
};
use crate::db::{DbConnection, now, write_transaction};
use crate::domain::publication::{List, Publication, PublishedItem, Summary};
use crate::domain::{Disposition, Kind, Lang, LegalBasis, TiedTo};

/// An item that blocks publication, with its unresolved error findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockingItem {
    pub item_id: i64,
    pub department: String,
    pub name: String,
    pub findings: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("有 {} 个事项存在未解决的错误，暂不能公布", .0.len())]
    Blocked(Vec<BlockingItem>),
    #[error("本批次还没有已作决定的事项，无可公布")]
    NothingDecided,
    #[error("未找到该清理批次")]
    RoundNotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl PublishError {
    pub fn code(&self) -> &'static str {
        match self {
            PublishError::Blocked(_) => "publication_blocked",
            PublishError::NothingDecided => "nothing_decided",
            PublishError::RoundNotFound => "round_not_found",
            PublishError::Db(_) => "internal",
        }
    }
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::Zh) => self.to_string(),
            (PublishError::Blocked(b), Lang::En) => {
                format!(
                    "{} items have unresolved errors; publication refused",
                    b.len()
                )
            }
            (PublishError::NothingDecided, Lang::En) => {
                "No item of the round has been decided yet".into()
            }
            (PublishError::RoundNotFound, Lang::En) => "No such round".into(),
            (PublishError::Db(_), Lang::En) => "Internal error".into(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = published_items, treat_none_as_default_value = false)]
struct NewPublishedItem {
    publication_id: i64,
    item_id: i64,
    list: String,
    serial: i64,
    identity_key: String,
    region_code: String,
    department_code: String,
    department_name: String,
    kind: String,
    name: String,
    licence: Option<String>,
    target: Option<String>,
    cycle_months_before: Option<i64>,
    cycle_months: Option<i64>,
    cycle_text: Option<String>,
    disposition: String,
    legal_bases: String,
    rationale: Option<String>,
    detail: String,
    search_text: String,
}

/// What public search reads of an item: name, licence, department, and each basis's title and
/// article (the migration `2026-11-27-000200_search` fills older rows the same way).
pub fn search_text(
    name: &str,
    licence: Option<&str>,
    department: &str,
    bases: &[LegalBasis],
) -> String {
    let mut text = format!("{name} {} {department}", licence.unwrap_or(""));
    for b in bases {
        text.push(' ');
        text.push_str(&b.title);
        text.push(' ');
        text.push_str(b.article.as_deref().unwrap_or(""));
    }
    text
}

/// Training fields kept in `detail` (JSON), so the list tables stay narrow.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
struct Detail {
    tied_to: Option<TiedTo>,
    hours: Option<f64>,
    fee: Option<String>,
    fee_basis: Option<String>,
    provider: Option<String>,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = publications)]
pub struct PublicationRow {
    pub id: i64,
    pub region_id: i64,
    pub round_id: i64,
    pub number: i64,
    pub title: String,
    pub summary: String,
    pub item_count: i64,
    pub published_by: Option<i64>,
    pub published_at: NaiveDateTime,
}

/// The unresolved error findings of a round's live items.
pub fn blocking_items(conn: &mut DbConnection, round_id: i64) -> QueryResult<Vec<BlockingItem>> {
    let rows: Vec<(i64, String, String, String, String)> = findings::table
        .inner_join(finding_messages::table)
        .inner_join(items::table.inner_join(departments::table))
        .filter(items::round_id.eq(round_id))
        .filter(items::withdrawn.eq(false))
        // The items with open errors, by the bit `items_list_idx` carries (no index on the
        // findings' severity: migration 2026-11-28-000200); the bit is a constant of ours.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "(items.open_severities & {}) <> 0",
            crate::domain::Severity::Error.bit()
        )))
        .filter(findings::severity.eq("error"))
        .filter(findings::resolved.eq(false))
        .order((departments::name, items::row_number, findings::code))
        .select((
            items::id,
            departments::name,
            items::name,
            findings::code,
            finding_messages::message_zh,
        ))
        .load(conn)?;
    let mut out: Vec<BlockingItem> = Vec::new();
    for (id, department, name, code, message) in rows {
        match out.last_mut() {
            Some(last) if last.item_id == id => last.findings.push((code, message)),
            _ => out.push(BlockingItem {
                item_id: id,
                department,
                name,
                findings: vec![(code, message)],
            }),
        }
    }
    Ok(out)
}

/// A decided item with its department (code, name) and decision (disposition, cycle, rationale).
type DecidedRow = (ItemRow, (String, String), (String, Option<i64>, String));

/// Publishes the round's decided items as the region's next numbered publication.
pub fn publish(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
) -> Result<PublicationRow, PublishError> {
    let row = write_transaction(conn, |conn| {
        let (region_id, round_name): (i64, String) = rounds::table
            .find(round_id)
            .select((rounds::region_id, rounds::name))
            .first(conn)
            .optional()?
            .ok_or(PublishError::RoundNotFound)?;
        let blocking = blocking_items(conn, round_id)?;
        if !blocking.is_empty() {
            return Err(PublishError::Blocked(blocking));
        }
        let (region_code, region_name): (String, String) = regions::table
            .find(region_id)
            .select((regions::code, regions::name))
            .first(conn)?;

        // Decided, live items with their decision in force and their department.
        let rows: Vec<DecidedRow> = items::table
            .inner_join(departments::table)
            .inner_join(decisions::table)
            .filter(items::round_id.eq(round_id))
            .filter(items::withdrawn.eq(false))
            .filter(decisions::superseded_at.is_null())
            .order((departments::name, items::row_number, items::id))
            .select((
                ItemRow::as_select(),
                (departments::code, departments::name),
                (
                    decisions::disposition,
                    decisions::cycle_months,
                    decisions::rationale,
                ),
            ))
            .load(conn)?;
        if rows.is_empty() {
            return Err(PublishError::NothingDecided);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
        let mut bases = item_rows::bases_of(conn, &ids)?;
        let inspections_before: i64 = items::table
            .filter(items::round_id.eq(round_id))
            .filter(items::withdrawn.eq(false))
            .filter(items::kind.eq(Kind::Inspection.code()))
            .count()
            .get_result(conn)?;

        let number: i64 = publications::table
            .filter(publications::region_id.eq(region_id))
            .select(diesel::dsl::max(publications::number))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0)
            + 1;
        let at = now();
        let mut serials: HashMap<List, i64> = HashMap::new();
        let mut summary = Summary {
            inspections_before: inspections_before as u32,
            ..Summary::default()
        };
        let mut snapshot = Vec::with_capacity(rows.len());
        for (item, (dep_code, dep_name), (disposition, new_cycle, rationale)) in &rows {
            let Some(disposition) = Disposition::from_code(disposition) else {
                continue;
            };
            let kind = Kind::from_code(&item.kind).unwrap_or(Kind::Inspection);
            let list = List::of(kind, disposition);
            let serial = serials.entry(list).or_insert(0);
            *serial += 1;
            match list {
                List::Retained => summary.retained += 1,
                List::Converted => summary.converted += 1,
                List::Cancelled => summary.cancelled += 1,
                List::Trainings => summary.trainings += 1,
            }
            let cycle_after = match disposition {
                Disposition::ExtendCycle => *new_cycle,
                Disposition::Cancel | Disposition::ConvertToAnnualReport => None,
                _ => item.cycle_months,
            };
            if disposition == Disposition::ExtendCycle {
                summary.cycles_lengthened += 1;
            }
            let item_bases: Vec<LegalBasis> = bases.remove(&item.id).unwrap_or_default();
            let detail = Detail {
                tied_to: item.tied_to.as_deref().and_then(TiedTo::from_code),
                hours: item.hours,
                fee: item.fee.clone(),
                fee_basis: item.fee_basis.clone(),
                provider: item.provider.clone(),
            };
            snapshot.push(NewPublishedItem {
                publication_id: 0,
                item_id: item.id,
                list: list.code().to_string(),
                serial: *serial,
                identity_key: format!("{dep_code}|{}", item.identity_key),
                region_code: region_code.clone(),
                department_code: dep_code.clone(),
                department_name: dep_name.clone(),
                kind: item.kind.clone(),
                name: item.name.clone(),
                licence: item.licence.clone(),
                target: item.target.clone(),
                cycle_months_before: item.cycle_months,
                cycle_months: cycle_after,
                cycle_text: item.cycle_text.clone(),
                disposition: disposition.code().to_string(),
                search_text: search_text(
                    &item.name,
                    item.licence.as_deref(),
                    dep_name,
                    &item_bases,
                ),
                legal_bases: serde_json::to_string(&item_bases).unwrap_or_else(|_| "[]".into()),
                rationale: Some(rationale.clone()),
                detail: serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
            });
        }
        summary.inspections_after = summary.retained;
        let title = format!("{region_name}保留的年检事项和指定培训目录（第{number}版）");
        let publication_id: i64 = diesel::insert_into(publications::table)
            .values((
                publications::region_id.eq(region_id),
                publications::round_id.eq(round_id),
                publications::number.eq(number),
                publications::title.eq(&title),
                publications::summary.eq(serde_json::to_string(&summary).unwrap_or_default()),
                publications::item_count.eq(snapshot.len() as i64),
                publications::published_by.eq(actor.user_id),
                publications::published_at.eq(at),
            ))
            .returning(publications::id)
            .get_result(conn)?;
        for row in &mut snapshot {
            row.publication_id = publication_id;
        }
        // Stored in display order (list, then 序号), so a publication's ids run in the order the
        // public pages show: a page of search results is read in id order and stops after 50
        // rows instead of sorting every match.
        snapshot.sort_by_key(|r| {
            (
                List::from_code(&r.list).map_or(usize::MAX, list_rank),
                r.serial,
            )
        });
        for chunk in snapshot.chunks(item_rows::INSERT_CHUNK / 2) {
            crate::insert_batch!(&mut *conn, published_items::table, chunk)?;
        }
        crate::db::backend::index_bigrams(conn, publication_id)?;
        for chunk in ids.chunks(item_rows::INSERT_CHUNK * 4) {
            diesel::update(items::table.filter(items::id.eq_any(chunk)))
                .set(items::state.eq(state::PUBLISHED))
                .execute(conn)?;
        }
        let row: PublicationRow = publications::table
            .find(publication_id)
            .select(PublicationRow::as_select())
            .first(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "publication.publish",
                entity: "publication",
                entity_id: Some(publication_id.to_string()),
                before: None,
                after: Some(serde_json::json!({
                    "region": region_code, "round": round_name, "number": number,
                    "items": snapshot.len(), "summary": summary,
                })),
            },
        )?;
        Ok(row)
    })?;
    // Fresh statistics for the planner: with them SQLite drives a search from the full-text
    // index instead of walking the publication's rows (PostgreSQL's autovacuum would get there
    // later). Only a hint: a failure is logged, the publication stands.
    if let Err(e) = conn.batch_execute("ANALYZE published_items") {
        tracing::warn!(error = %e, "ANALYZE published_items after publishing failed");
    }
    Ok(row)
}

/// Which publication a request means: a number, or the latest of the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Number(i64),
    Latest,
}

impl Which {
    pub fn parse(s: &str) -> Option<Which> {
        if s == "latest" {
            return Some(Which::Latest);
        }
        s.parse::<i64>().ok().filter(|n| *n > 0).map(Which::Number)
    }
}

/// The region a public request means: `?region=CODE`, else the top region.
pub fn region_id(conn: &mut DbConnection, code: Option<&str>) -> QueryResult<Option<i64>> {
    match code {
        Some(code) => regions::table
            .filter(regions::code.eq(code))
            .select(regions::id)
            .first(conn)
            .optional(),
        None => regions::table
            .filter(regions::parent_id.is_null())
            .order(regions::id)
            .select(regions::id)
            .first(conn)
            .optional(),
    }
}

pub fn find(
    conn: &mut DbConnection,
    region_id: i64,
    which: Which,
) -> QueryResult<Option<PublicationRow>> {
    let q = publications::table
        .filter(publications::region_id.eq(region_id))
        .select(PublicationRow::as_select());
    match which {
        Which::Number(n) => q.filter(publications::number.eq(n)).first(conn).optional(),
        Which::Latest => q.order(publications::number.desc()).first(conn).optional(),
    }
}

pub fn list(conn: &mut DbConnection, region_id: i64) -> QueryResult<Vec<PublicationRow>> {
    publications::table
        .filter(publications::region_id.eq(region_id))
        .order(publications::number.desc())
        .select(PublicationRow::as_select())
        .load(conn)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = published_items)]
pub struct PublishedItemRow {
    pub id: i64,
    pub publication_id: i64,
    pub item_id: i64,
    pub list: String,
    pub serial: i64,
    pub identity_key: String,
    pub region_code: String,
    pub department_code: String,
    pub department_name: String,
    pub kind: String,
    pub name: String,
    pub licence: Option<String>,
    pub target: Option<String>,
    pub cycle_months_before: Option<i64>,
    pub cycle_months: Option<i64>,
    pub cycle_text: Option<String>,
    pub disposition: String,
    pub legal_bases: String,
    pub rationale: Option<String>,
    pub detail: String,
}

impl PublishedItemRow {
    pub fn to_domain(&self) -> PublishedItem {
        let detail: Detail = serde_json::from_str(&self.detail).unwrap_or_default();
        PublishedItem {
            list: List::from_code(&self.list).unwrap_or(List::Retained),
            serial: self.serial as u32,
            identity_key: self.identity_key.clone(),
            region_code: self.region_code.clone(),
            department_code: self.department_code.clone(),
            department: self.department_name.clone(),
            kind: Kind::from_code(&self.kind).unwrap_or(Kind::Inspection),
            name: self.name.clone(),
            licence: self.licence.clone(),
            target: self.target.clone(),
            cycle_months_before: self.cycle_months_before.and_then(|c| u32::try_from(c).ok()),
            cycle_months: self.cycle_months.and_then(|c| u32::try_from(c).ok()),
            cycle_text: self.cycle_text.clone(),
            disposition: Disposition::from_code(&self.disposition).unwrap_or(Disposition::Retain),
            legal_bases: serde_json::from_str(&self.legal_bases).unwrap_or_default(),
            rationale: self.rationale.clone(),
            tied_to: detail.tied_to,
            hours: detail.hours,
            fee: detail.fee,
            fee_basis: detail.fee_basis,
            provider: detail.provider,
        }
    }
}

/// The whole publication, as exports read it.
pub fn load(conn: &mut DbConnection, publication: &PublicationRow) -> QueryResult<Publication> {
    let (region_code, region_name): (String, String) = regions::table
        .find(publication.region_id)
        .select((regions::code, regions::name))
        .first(conn)?;
    let round_name: String = rounds::table
        .find(publication.round_id)
        .select(rounds::name)
        .first(conn)?;
    let rows: Vec<PublishedItemRow> = published_items::table
        .filter(published_items::publication_id.eq(publication.id))
        .select(PublishedItemRow::as_select())
        .load(conn)?;
    let mut items: Vec<PublishedItem> = rows.iter().map(PublishedItemRow::to_domain).collect();
    items.sort_by_key(|i| (list_rank(i.list), i.serial));
    Ok(Publication {
        number: publication.number as u32,
        region_code,
        region_name,
        round_name,
        title: publication.title.clone(),
        published_at: publication.published_at,
        summary: serde_json::from_str(&publication.summary).unwrap_or_default(),
        items,
    })
}

fn list_rank(list: List) -> usize {
    List::ALL.iter().position(|l| *l == list).unwrap_or(0)
}

/// One item's change between two publications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedPublished {
    pub identity_key: String,
    pub name: String,
    pub department: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub from: u32,
    pub to: u32,
    pub added: Vec<PublishedItem>,
    pub removed: Vec<PublishedItem>,
    pub changed: Vec<ChangedPublished>,
}

/// Items added, removed and changed (field by field) from publication `a` to `b`, by identity.
pub fn diff(a: &Publication, b: &Publication) -> Diff {
    let old: HashMap<&str, &PublishedItem> = a
        .items
        .iter()
        .map(|i| (i.identity_key.as_str(), i))
        .collect();
    let new: HashMap<&str, &PublishedItem> = b
        .items
        .iter()
        .map(|i| (i.identity_key.as_str(), i))
        .collect();
    let added = b
        .items
        .iter()
        .filter(|i| !old.contains_key(i.identity_key.as_str()))
        .cloned()
        .collect();
    let removed = a
        .items
        .iter()
        .filter(|i| !new.contains_key(i.identity_key.as_str()))
        .cloned()
        .collect();
    let mut changed = Vec::new();
    for item in &b.items {
        let Some(before) = old.get(item.identity_key.as_str()) else {
            continue;
        };
        let changes = field_changes(before, item);
        if !changes.is_empty() {
            changed.push(ChangedPublished {
                identity_key: item.identity_key.clone(),
                name: item.name.clone(),
                department: item.department.clone(),
                changes,
            });
        }
    }
    Diff {
        from: a.number,
        to: b.number,
        added,
        removed,
        changed,
    }
}

/// What changed, field by field, between two versions of one published item.
pub fn field_changes(before: &PublishedItem, item: &PublishedItem) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    macro_rules! cmp {
        ($($f:ident),+) => { $(
            if before.$f != item.$f {
                changes.push(FieldChange {
                    field: stringify!($f),
                    before: serde_json::to_value(&before.$f).unwrap_or_default(),
                    after: serde_json::to_value(&item.$f).unwrap_or_default(),
                });
            }
        )+ };
    }
    cmp!(
        list,
        name,
        department,
        licence,
        target,
        cycle_months,
        disposition,
        legal_bases,
        rationale,
        tied_to,
        hours,
        fee,
        fee_basis,
        provider
    );
    changes
}
