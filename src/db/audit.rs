//! The append-only, hash-chained audit log (DESIGN.md §3, §9): one entry per action, written in
//! the same transaction as the change, each entry's SHA-256 covering the previous entry's hash.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::schema::audit_log;
use super::{DbConnection, backend, now};

/// The hash that the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: a signed-in user, an API token's user, or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub user_id: Option<i64>,
}

impl Actor {
    pub fn user(name: &str, id: i64) -> Actor {
        Actor {
            name: name.to_string(),
            user_id: Some(id),
        }
    }
    /// The command line run by an operator of the machine.
    pub fn cli() -> Actor {
        Actor {
            name: "cli".to_string(),
            user_id: None,
        }
    }
    pub fn system() -> Actor {
        Actor {
            name: "system".to_string(),
            user_id: None,
        }
    }
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry {
    at: NaiveDateTime,
    actor: String,
    actor_user_id: Option<i64>,
    action: String,
    entity: String,
    entity_id: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    prev_hash: String,
    hash: String,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry from its stored fields, so verification recomputes exactly what was
/// written. Timestamps are printed to the microsecond, which both backends keep.
#[allow(clippy::too_many_arguments)]
fn entry_hash(
    prev_hash: &str,
    at: &NaiveDateTime,
    actor: &str,
    actor_user_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: Option<&str>,
    before_json: Option<&str>,
    after_json: Option<&str>,
) -> String {
    let canonical = serde_json::json!([
        prev_hash,
        at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        actor,
        actor_user_id,
        action,
        entity,
        entity_id,
        before_json,
        after_json,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends one entry. Call inside the transaction that makes the change.
pub fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> QueryResult<()> {
    backend::lock_audit_head(conn)?;
    let prev_hash = audit_log::table
        .select(audit_log::hash)
        .order(audit_log::id.desc())
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = now();
    let before_json = change.before.map(|v| v.to_string());
    let after_json = change.after.map(|v| v.to_string());
    let hash = entry_hash(
        &prev_hash,
        &at,
        &actor.name,
        actor.user_id,
        change.action,
        change.entity,
        change.entity_id.as_deref(),
        before_json.as_deref(),
        after_json.as_deref(),
    );
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            at,
            actor: actor.name.clone(),
            actor_user_id: actor.user_id,
            action: change.action.to_string(),
            entity: change.entity.to_string(),
            entity_id: change.entity_id,
            before_json,
            after_json,
            prev_hash,
            hash,
        })
        .execute(conn)?;
    Ok(())
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Intact {
        entries: u64,
    },
    Broken {
        entries_checked: u64,
        first_broken_id: i64,
        reason: String,
    },
}

/// Walks the chain in id order, in pages, and names the first entry that does not hold.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Verdict> {
    const PAGE: i64 = 2000;
    let mut expected_prev = GENESIS.to_string();
    let mut last_id = 0i64;
    let mut checked = 0u64;
    loop {
        let page: Vec<Entry> = audit_log::table
            .filter(audit_log::id.gt(last_id))
            .order(audit_log::id.asc())
            .limit(PAGE)
            .select(Entry::as_select())
            .load(conn)?;
        if page.is_empty() {
            return Ok(Verdict::Intact { entries: checked });
        }
        for e in &page {
            if e.prev_hash != expected_prev {
                return Ok(Verdict::Broken {
                    entries_checked: checked,
                    first_broken_id: e.id,
                    reason: "prev_hash does not match the previous entry (an entry was removed or inserted)".into(),
                });
            }
            let recomputed = entry_hash(
                &e.prev_hash,
                &e.at,
                &e.actor,
                e.actor_user_id,
                &e.action,
                &e.entity,
                e.entity_id.as_deref(),
                e.before_json.as_deref(),
                e.after_json.as_deref(),
            );
            if recomputed != e.hash {
                return Ok(Verdict::Broken {
                    entries_checked: checked,
                    first_broken_id: e.id,
                    reason: "content does not match its hash (the entry was altered)".into(),
                });
            }
            expected_prev = e.hash.clone();
            checked += 1;
            last_id = e.id;
        }
    }
}
