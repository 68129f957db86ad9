//! Regions (行政区划): the finders the accounts need. Their administration comes with the admin
//! issue.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor, Change};
use super::schema::regions;
use super::{DbConnection, now};

#[derive(Queryable, Selectable, Debug, Clone, PartialEq, Eq, Serialize)]
#[diesel(table_name = regions)]
pub struct Region {
    pub id: i64,
    /// GB/T 2260 code.
    pub code: String,
    pub name: String,
    /// `province`, `city`, `county` or `township`.
    pub level: String,
    pub parent_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A region to add.
#[derive(Debug, Clone)]
pub struct NewRegion<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub level: &'a str,
    pub parent_id: Option<i64>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Region>> {
    regions::table
        .find(id)
        .select(Region::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Region>> {
    regions::table
        .filter(regions::code.eq(code.trim()))
        .select(Region::as_select())
        .first(conn)
        .optional()
}

/// The region and every region below it, the root first. Walks one level per query: a province
/// has four levels at most, and each level is one indexed query.
pub fn subtree_ids(conn: &mut DbConnection, root: i64) -> QueryResult<Vec<i64>> {
    let mut all = vec![root];
    let mut frontier = vec![root];
    // A cycle in parent_id cannot be made through this crate, but a bound keeps a hand-edited
    // database from looping forever.
    for _ in 0..16 {
        if frontier.is_empty() {
            break;
        }
        let children: Vec<i64> = regions::table
            .filter(regions::parent_id.eq_any(&frontier))
            .select(regions::id)
            .order(regions::id.asc())
            .load(conn)?;
        frontier = children
            .into_iter()
            .filter(|id| !all.contains(id))
            .collect();
        all.extend(&frontier);
    }
    Ok(all)
}

/// Adds a region and records it in the audit log. Call inside a write transaction.
pub fn insert(conn: &mut DbConnection, actor: &Actor, new: &NewRegion<'_>) -> QueryResult<Region> {
    let region = diesel::insert_into(regions::table)
        .values((
            regions::code.eq(new.code.trim()),
            regions::name.eq(new.name.trim()),
            regions::level.eq(new.level),
            regions::parent_id.eq(new.parent_id),
            regions::created_at.eq(now()),
        ))
        .returning(regions::id)
        .get_result::<i64>(conn)?;
    let region = regions::table
        .find(region)
        .select(Region::as_select())
        .first(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "region.create",
            entity: "region",
            entity_id: Some(region.id.to_string()),
            before: None,
            after: Some(serde_json::json!(region)),
        },
    )?;
    Ok(region)
}

// ---------------------------------------------------------------------------------------------
// Administration (the admin issue): plain queries; `crate::service::admin::regions` validates
// and records each change in the audit log in the same transaction.

/// Every region, by code.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Region>> {
    regions::table
        .select(Region::as_select())
        .order(regions::code.asc())
        .load(conn)
}

/// Adds a region without an audit entry: the caller records one (an import records one entry
/// for the whole list). Call inside a write transaction.
pub fn insert_row(conn: &mut DbConnection, new: &NewRegion<'_>) -> QueryResult<Region> {
    let id = diesel::insert_into(regions::table)
        .values((
            regions::code.eq(new.code.trim()),
            regions::name.eq(new.name.trim()),
            regions::level.eq(new.level),
            regions::parent_id.eq(new.parent_id),
            regions::created_at.eq(now()),
        ))
        .returning(regions::id)
        .get_result::<i64>(conn)?;
    regions::table
        .find(id)
        .select(Region::as_select())
        .first(conn)
}

/// Renames a region and returns it as it now is. Call inside a write transaction.
pub fn set_name(conn: &mut DbConnection, id: i64, name: &str) -> QueryResult<Region> {
    diesel::update(regions::table.find(id))
        .set(regions::name.eq(name.trim()))
        .execute(conn)?;
    regions::table
        .find(id)
        .select(Region::as_select())
        .first(conn)
}
