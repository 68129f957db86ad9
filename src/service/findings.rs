//! Recomputing findings: the rules of `domain::rules` applied with the context only the
//! database knows (decisions, repealed documents, the same item in other departments).
//! Findings are always recomputable, so they are replaced, never edited.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::db::items::{self, ItemRow, NewFinding};
use crate::db::schema::{
    consultation_items, consultations, decisions, departments, finding_messages, findings,
    items as items_t, legal_bases, legal_documents,
};
use crate::db::{DbConnection, now};
use crate::domain::rules::{self, DecisionFacts, RuleContext};
use crate::domain::{Disposition, ItemDraft, Kind};
use chrono::NaiveDateTime;

/// Which items to recompute.
#[derive(Debug, Clone)]
pub enum Selection {
    Round(i64),
    Department { round_id: i64, department_id: i64 },
    Items { round_id: i64, ids: Vec<i64> },
}

impl Selection {
    fn round_id(&self) -> i64 {
        match self {
            Selection::Round(r) => *r,
            Selection::Department { round_id, .. } | Selection::Items { round_id, .. } => *round_id,
        }
    }
}

/// The keys under which R09 looks for the same licence or inspection in other departments,
/// taken from the item's stored identity key (`items::identity_key`: the normalised name, and
/// `|` and the normalised licence when there is one), so no name is normalised twice.
fn duplicate_keys(kind: &str, identity_key: &str) -> Vec<String> {
    let (name, licence) = match identity_key.split_once('|') {
        Some((n, l)) => (n, Some(l)),
        None => (identity_key, None),
    };
    let mut keys = vec![format!("{kind}|n|{name}")];
    if let Some(l) = licence.filter(|l| !l.is_empty()) {
        keys.push(format!("{kind}|l|{l}"));
    }
    keys
}

/// Recomputes and stores the findings of the selected items. Returns how many items it did.
pub fn recompute(conn: &mut DbConnection, selection: &Selection) -> QueryResult<usize> {
    let round_id = selection.round_id();
    let live = || {
        items_t::table
            .filter(items_t::round_id.eq(round_id))
            .filter(items_t::withdrawn.eq(false))
            .select(ItemRow::as_select())
            .into_boxed()
    };
    let rows: Vec<ItemRow> = match selection {
        Selection::Round(_) => live().load(conn)?,
        Selection::Department { department_id, .. } => live()
            .filter(items_t::department_id.eq(*department_id))
            .load(conn)?,
        // In chunks: a selection may hold more ids than SQLite binds in one statement.
        Selection::Items { ids, .. } => {
            let mut rows = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(items::INSERT_CHUNK * 4) {
                rows.extend(live().filter(items_t::id.eq_any(chunk)).load(conn)?);
            }
            rows
        }
    };
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut bases = items::bases_of(conn, &ids)?;
    let decisions = current_decisions(conn, &ids)?;
    let repealed = repealed_titles(conn, &ids)?;
    let duplicates = duplicate_index(conn, round_id)?;

    let at = now();
    let mut new_findings = Vec::with_capacity(rows.len() * 2);
    for row in &rows {
        let draft = row.to_draft(bases.remove(&row.id).unwrap_or_default());
        let ctx = RuleContext {
            decision: decisions.get(&row.id).cloned(),
            repealed_bases: repealed.get(&row.id).cloned().unwrap_or_default(),
            duplicate_departments: other_departments(
                &duplicates,
                &row.kind,
                &row.identity_key,
                row.department_id,
            ),
        };
        push_findings(&mut new_findings, row.id, &draft, &ctx, at);
    }
    replace_changed(conn, &ids, new_findings)?;
    Ok(rows.len())
}

/// One stored finding as compared: everything but the time it was computed.
type FindingKey = (String, String, String, String, bool);

/// The same fields of a computed finding, borrowed.
fn key_of(f: &NewFinding) -> (&str, &str, &str, &str, bool) {
    (
        &f.code,
        &f.severity,
        &f.message_zh,
        &f.message_en,
        f.resolved,
    )
}

/// Stores `fresh` (the findings of the items `ids`, grouped by item in any order) where they
/// differ from what is stored: an item whose findings are unchanged is not written at all (and
/// keeps their `computed_at`), so recomputing a round after a small change writes only what the
/// change touched.
fn replace_changed(
    conn: &mut DbConnection,
    ids: &[i64],
    fresh: Vec<NewFinding>,
) -> QueryResult<()> {
    let mut stored: HashMap<i64, Vec<FindingKey>> = HashMap::with_capacity(ids.len());
    for f in items::findings_of(conn, ids)? {
        stored.entry(f.item_id).or_default().push((
            f.code,
            f.severity,
            f.message_zh,
            f.message_en,
            f.resolved,
        ));
    }
    let mut computed: HashMap<i64, Vec<_>> = HashMap::with_capacity(ids.len());
    for f in &fresh {
        computed.entry(f.item_id).or_default().push(key_of(f));
    }
    let changed: HashSet<i64> = ids
        .iter()
        .copied()
        .filter(|id| {
            let mut old = stored.remove(id).unwrap_or_default();
            let mut new = computed.remove(id).unwrap_or_default();
            old.sort();
            new.sort();
            old.len() != new.len()
                || old.iter().zip(&new).any(|(o, n)| {
                    (o.0.as_str(), o.1.as_str(), o.2.as_str(), o.3.as_str(), o.4) != *n
                })
        })
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let changed_ids: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| changed.contains(i))
        .collect();
    for chunk in changed_ids.chunks(items::INSERT_CHUNK * 4) {
        diesel::delete(findings::table.filter(findings::item_id.eq_any(chunk))).execute(conn)?;
    }
    let rows: Vec<NewFinding> = fresh
        .into_iter()
        .filter(|f| changed.contains(&f.item_id))
        .collect();
    items::store_findings(conn, &changed_ids, &rows)
}

/// The names of the departments other than `department_id` that list an item of the same
/// duplicate keys (R09), sorted and without repeats.
fn other_departments(
    index: &HashMap<String, Vec<(i64, String)>>,
    kind: &str,
    identity_key: &str,
    department_id: i64,
) -> Vec<String> {
    if index.is_empty() {
        return Vec::new();
    }
    let mut others: Vec<String> = duplicate_keys(kind, identity_key)
        .iter()
        .filter_map(|k| index.get(k))
        .flat_map(|deps| deps.iter())
        .filter(|(dep_id, _)| *dep_id != department_id)
        .map(|(_, name)| name.clone())
        .collect();
    others.sort();
    others.dedup();
    others
}

/// Every rule on one item, run once for both languages, as rows to store.
fn push_findings(
    out: &mut Vec<NewFinding>,
    item_id: i64,
    draft: &ItemDraft,
    ctx: &RuleContext,
    at: NaiveDateTime,
) {
    for (rule, hit, resolved) in rules::evaluate_both(draft, ctx) {
        out.push(NewFinding::from_hit(item_id, rule, hit, resolved, at));
    }
}

/// An item an import has just stored, as its findings need it.
#[derive(Debug)]
pub struct StoredItem<'a> {
    pub id: i64,
    /// The stored kind code (`NewItem::kind`).
    pub kind: &'a str,
    pub identity_key: &'a str,
    pub draft: &'a ItemDraft,
    /// Titles of the legal documents its bases are linked to that are repealed (R08), in
    /// basis order.
    pub repealed_bases: Vec<String>,
}

/// What an import needs to compute the findings of its items before it writes them, and to
/// refresh R09 of the other departments' items afterwards: loaded once, before anything is
/// written, so each item is stored with its findings' severities (`items.open_severities`)
/// instead of being updated again after its findings.
///
/// The findings come from the statements in memory instead of reading every item back: the
/// same rows as `recompute(Selection::Department)` would store (the `import_findings` tests
/// hold the two equal).
pub struct ImportContext {
    department_id: i64,
    /// The office's decisions on the department's items that existed before the import (only
    /// they can carry decisions).
    decisions: HashMap<i64, DecisionFacts>,
    /// The other departments' live items of the round.
    others: Vec<OtherItem>,
    /// Their duplicate keys → the departments listing them.
    index: HashMap<String, Vec<(i64, String)>>,
}

impl ImportContext {
    /// `prior`: the ids of the department's items the file may state again (those that can
    /// carry decisions). Nothing of the file is needed: its items may still be being read.
    pub fn load(
        conn: &mut DbConnection,
        round_id: i64,
        department_id: i64,
        prior: &[i64],
    ) -> QueryResult<ImportContext> {
        let decisions = current_decisions(conn, prior)?;
        // The other departments' live items: R09 for ours, and whose R09 ours may change.
        let others: Vec<OtherItem> = items_t::table
            .inner_join(departments::table)
            .filter(items_t::round_id.eq(round_id))
            .filter(items_t::department_id.ne(department_id))
            .filter(items_t::withdrawn.eq(false))
            .select((
                items_t::id,
                items_t::kind,
                items_t::identity_key,
                items_t::department_id,
                departments::name,
                items_t::licence,
                items_t::proposed,
            ))
            .load(conn)?;
        let mut index: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        for other in &others {
            for key in duplicate_keys(&other.1, &other.2) {
                add_department(index.entry(key).or_default(), other.3, &other.4);
            }
        }
        Ok(ImportContext {
            department_id,
            decisions,
            others,
            index,
        })
    }

    /// Appends the findings of one item of the file, `item.id` as their item (the caller may
    /// put a placeholder there for an item not stored yet).
    pub fn findings(&self, item: &StoredItem<'_>, at: NaiveDateTime, out: &mut Vec<NewFinding>) {
        let ctx = RuleContext {
            decision: self.decisions.get(&item.id).cloned(),
            repealed_bases: item.repealed_bases.clone(),
            duplicate_departments: other_departments(
                &self.index,
                item.kind,
                item.identity_key,
                self.department_id,
            ),
        };
        // As `ItemRow::to_draft` reads it back: a kind left open is stored as an inspection.
        if item.draft.kind.is_none() {
            let mut draft = item.draft.clone();
            draft.kind = Kind::from_code(item.kind);
            push_findings(out, item.id, &draft, &ctx, at);
        } else {
            push_findings(out, item.id, item.draft, &ctx, at);
        }
    }

    /// After the file's items are stored: R09 of the other departments' live items that share
    /// a duplicate key with the file (`file`: the (kind, identity key) of its items) or with an
    /// item the import withdrew (`withdrawn`), see [`refresh_duplicates`]. Returns how many of
    /// their findings it wrote.
    pub fn refresh_others<'a>(
        &self,
        conn: &mut DbConnection,
        round_id: i64,
        file: impl Iterator<Item = (&'a str, &'a str)>,
        withdrawn: &[(&str, &str)],
    ) -> QueryResult<usize> {
        if self.others.is_empty() {
            return Ok(0);
        }
        let keys = keys_of(file);
        let gone = keys_of(withdrawn.iter().copied());
        // Items sharing a key with the file; and items left alone with a key by a withdrawal
        // lose their R09.
        let sharing: Vec<usize> = self
            .others
            .iter()
            .enumerate()
            .filter(|(_, other)| {
                duplicate_keys(&other.1, &other.2)
                    .iter()
                    .any(|k| keys.contains(k) || gone.contains(k))
            })
            .map(|(n, _)| n)
            .collect();
        if sharing.is_empty() {
            return Ok(0);
        }
        refresh_duplicates(
            conn,
            round_id,
            self.department_id,
            &keys,
            &self.others,
            &sharing,
        )
    }
}

/// Another department's live item as an import sees it: (id, kind, identity key, department
/// id, department name, licence, proposed disposition).
type OtherItem = (
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
);

fn add_department(entry: &mut Vec<(i64, String)>, department_id: i64, name: &str) {
    if !entry.iter().any(|(d, _)| *d == department_id) {
        entry.push((department_id, name.to_string()));
    }
}

/// R09 of the other departments' items `sharing` (indices into `others`) after an import of
/// `department_id` (`file_keys`: the duplicate keys of its items) changed who lists their
/// keys. R09 is the only finding an import can change for another department's item: its
/// statement, bases and decisions are not touched, and the departments listing its keys are
/// the only part of its rules' context that is. So only their R09 rows are compared and written — a message rewritten in place (one UPDATE per distinct
/// message), a finding added or removed where the item starts or stops being listed elsewhere
/// — instead of recomputing and rewriting every finding of every item that shares a licence
/// with the file, which made each import into a province-size round slower than the last.
/// The `import_findings` tests hold the result equal to a full recompute.
fn refresh_duplicates(
    conn: &mut DbConnection,
    round_id: i64,
    department_id: i64,
    file_keys: &HashSet<String>,
    others: &[OtherItem],
    sharing: &[usize],
) -> QueryResult<usize> {
    let rule = rules::rule("R09").expect("R09 is a rule");
    // Every key of the items to refresh, with every department listing it, this one included.
    let wanted: HashSet<String> = sharing
        .iter()
        .flat_map(|&n| duplicate_keys(&others[n].1, &others[n].2))
        .collect();
    let mut index: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for other in others {
        for key in duplicate_keys(&other.1, &other.2) {
            if wanted.contains(&key) {
                add_department(index.entry(key).or_default(), other.3, &other.4);
            }
        }
    }
    let own_name: String = departments::table
        .find(department_id)
        .select(departments::name)
        .first(conn)?;
    for (key, entry) in index.iter_mut() {
        if file_keys.contains(key) {
            add_department(entry, department_id, &own_name);
        }
    }

    // The office's decisions in force on the other departments' items (R09 is silent on an
    // item to be cancelled).
    let decided: HashMap<i64, String> = decisions::table
        .inner_join(items_t::table)
        .filter(items_t::round_id.eq(round_id))
        .filter(items_t::department_id.ne(department_id))
        .filter(decisions::superseded_at.is_null())
        .select((decisions::item_id, decisions::disposition))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();

    let at = now();
    let ids: Vec<i64> = sharing.iter().map(|&n| others[n].0).collect();
    let mut fresh: HashMap<i64, NewFinding> = HashMap::with_capacity(ids.len());
    for &n in sharing {
        let (id, kind, identity_key, dep_id, _, licence, proposed) = &others[n];
        // What R09 reads of an item, as `ItemRow::to_draft` reads it back.
        let draft = ItemDraft {
            kind: Kind::from_code(kind),
            licence: licence.clone(),
            proposed: proposed.as_deref().and_then(Disposition::from_code),
            ..ItemDraft::default()
        };
        let ctx = RuleContext {
            decision: decided
                .get(id)
                .and_then(|d| Disposition::from_code(d))
                .map(|disposition| DecisionFacts {
                    disposition,
                    cycle_months: None,
                    necessity_assessment: false,
                    consultation_closed: false,
                }),
            repealed_bases: Vec::new(),
            duplicate_departments: other_departments(&index, kind, identity_key, *dep_id),
        };
        if let Some(hit) = rule.hit(&draft, &ctx) {
            // R09 is not resolvable: never marked resolved.
            fresh.insert(*id, NewFinding::from_hit(*id, rule, hit, false, at));
        }
    }

    // Compared with what is stored: an unchanged row is left alone.
    let mut rewrite: HashMap<(String, String), Vec<i64>> = HashMap::new();
    let mut stale = Vec::new();
    let mut flipped = Vec::new();
    for chunk in ids.chunks(items::INSERT_CHUNK * 4) {
        let stored: Vec<items::FindingRow> = findings::table
            .inner_join(finding_messages::table)
            .filter(findings::item_id.eq_any(chunk))
            .filter(findings::code.eq(rule.code))
            .select(items::FindingRow::as_select())
            .load(conn)?;
        for old in stored {
            match fresh.remove(&old.item_id) {
                None => {
                    stale.push(old.id);
                    flipped.push(old.item_id);
                }
                Some(f)
                    if f.message_zh == old.message_zh
                        && f.message_en == old.message_en
                        && !old.resolved => {}
                Some(f) => rewrite
                    .entry((f.message_zh, f.message_en))
                    .or_default()
                    .push(old.id),
            }
        }
    }
    let added: Vec<NewFinding> = fresh.into_values().collect();
    flipped.extend(added.iter().map(|f| f.item_id));
    let mut written = stale.len() + added.len();
    let mut messages = items::MessageIds::default();
    for ((zh, en), mut finding_ids) in rewrite {
        written += finding_ids.len();
        let message_id = messages.id(conn, &zh, &en)?;
        finding_ids.sort_unstable();
        for chunk in finding_ids.chunks(items::INSERT_CHUNK * 4) {
            diesel::update(findings::table.filter(findings::id.eq_any(chunk)))
                .set((
                    findings::message_id.eq(message_id),
                    findings::resolved.eq(false),
                    findings::computed_at.eq(at),
                ))
                .execute(conn)?;
        }
    }
    for chunk in stale.chunks(items::INSERT_CHUNK * 4) {
        diesel::delete(findings::table.filter(findings::id.eq_any(chunk))).execute(conn)?;
    }
    items::insert_findings(conn, &mut messages, &added)?;
    items::refresh_open_severities(conn, &flipped)?;
    Ok(written)
}

/// The duplicate keys of a set of items given as (kind, identity key).
fn keys_of<'a>(rows: impl Iterator<Item = (&'a str, &'a str)>) -> HashSet<String> {
    rows.flat_map(|(kind, identity_key)| duplicate_keys(kind, identity_key))
        .collect()
}

/// key → (department id, department name) for every live item of the round.
fn duplicate_index(
    conn: &mut DbConnection,
    round_id: i64,
) -> QueryResult<HashMap<String, Vec<(i64, String)>>> {
    let rows: Vec<(String, String, i64, String)> = items_t::table
        .inner_join(departments::table)
        .filter(items_t::round_id.eq(round_id))
        .filter(items_t::withdrawn.eq(false))
        .select((
            items_t::kind,
            items_t::identity_key,
            items_t::department_id,
            departments::name,
        ))
        .load(conn)?;
    let mut index: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for (kind, identity_key, dep_id, dep_name) in rows {
        for key in duplicate_keys(&kind, &identity_key) {
            add_department(index.entry(key).or_default(), dep_id, &dep_name);
        }
    }
    // Only keys held by two or more departments matter.
    index.retain(|_, deps| deps.len() > 1);
    Ok(index)
}

/// The office's decision in force for each item, as the rules see it.
fn current_decisions(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, DecisionFacts>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(items::INSERT_CHUNK * 4) {
        let rows: Vec<(i64, String, Option<i64>, Option<String>)> = decisions::table
            .filter(decisions::item_id.eq_any(chunk))
            .filter(decisions::superseded_at.is_null())
            .select((
                decisions::item_id,
                decisions::disposition,
                decisions::cycle_months,
                decisions::necessity,
            ))
            .load(conn)?;
        if rows.is_empty() {
            continue;
        }
        let decided: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let closed: HashSet<i64> = consultation_items::table
            .inner_join(consultations::table)
            .filter(consultation_items::item_id.eq_any(&decided))
            .filter(consultations::closed_at.is_not_null())
            .filter(consultation_items::summary.is_not_null())
            .select(consultation_items::item_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        for (item_id, disposition, cycle, necessity) in rows {
            let Some(disposition) = Disposition::from_code(&disposition) else {
                continue;
            };
            out.insert(
                item_id,
                DecisionFacts {
                    disposition,
                    cycle_months: cycle.and_then(|c| u32::try_from(c).ok()),
                    necessity_assessment: necessity.is_some_and(|n| !n.trim().is_empty()),
                    consultation_closed: closed.contains(&item_id),
                },
            );
        }
    }
    Ok(out)
}

/// Titles of each item's bases that cite a repealed legal document (R08).
fn repealed_titles(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(items::INSERT_CHUNK * 4) {
        let rows: Vec<(i64, String)> = legal_bases::table
            .inner_join(legal_documents::table)
            .filter(legal_bases::item_id.eq_any(chunk))
            .filter(legal_documents::status.eq("repealed"))
            .select((legal_bases::item_id, legal_documents::title))
            .load(conn)?;
        for (item_id, title) in rows {
            out.entry(item_id).or_default().push(title);
        }
    }
    Ok(out)
}
