//! Storing a read workbook: one submission and its items in one transaction, all or nothing.
//! Identical bytes are a no-op; a newer file of the same department and round supersedes the
//! older one, and the answer lists the items added, removed and changed against it.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::audit::{self, Actor, Change};
use crate::db::items::{self, ItemRow, NewFinding, NewItem, NewLegalBasis, Placement};
use crate::db::schema::{findings as findings_t, items as items_t, legal_bases, legal_documents};
use crate::db::submissions::{self, NewSubmission};
use crate::db::{DbConnection, now, write_transaction};
use crate::domain::ItemDraft;
use crate::service::findings;

/// One item as the workbook states it.
#[derive(Debug, Clone)]
pub struct StatedItem<'a> {
    pub sheet: &'a str,
    pub row: u32,
    pub draft: &'a ItemDraft,
}

/// Everything the commit needs of a read workbook.
#[derive(Debug, Clone)]
pub struct SubmissionInput<'a> {
    pub round_id: i64,
    pub department_id: i64,
    pub file_name: &'a str,
    pub format: &'a str,
    pub bytes: &'a [u8],
    /// The report to store (JSON), items left out: they live in the items table.
    pub report_json: String,
    pub items: Vec<StatedItem<'a>>,
    pub error_count: usize,
    pub uploaded_by: Option<i64>,
}

/// One changed item: its name and the fields that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedItem {
    pub name: String,
    pub fields: Vec<&'static str>,
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommitOutcome {
    /// The same bytes are already the department's submission in force.
    Unchanged { submission_id: i64 },
    Stored {
        submission_id: i64,
        superseded: Option<i64>,
        added: Vec<String>,
        removed: Vec<String>,
        changed: Vec<ChangedItem>,
        unchanged: usize,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error(
        "文件有 {0} 处错误，未保存任何内容；请修改后重新上传 ({0} errors in the file; nothing was stored)"
    )]
    HasErrors(usize),
    #[error(
        "同一文件中“{0}”出现了两次，请合并或区分名称后重新上传 (the item “{0}” appears twice in the file)"
    )]
    DuplicateItem(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The fields in which two statements of the same item differ.
pub fn changed_fields(old: &ItemDraft, new: &ItemDraft) -> Vec<&'static str> {
    let mut out = Vec::new();
    macro_rules! cmp {
        ($($f:ident),+) => { $( if old.$f != new.$f { out.push(stringify!($f)); } )+ };
    }
    cmp!(
        kind,
        name,
        licence,
        licence_code,
        target,
        cycle_months,
        cycle_text,
        annual_report,
        legal_bases,
        proposed,
        proposed_cycle_months,
        reason,
        remarks,
        tied_to,
        hours,
        fee,
        fee_basis,
        provider,
        provider_designated
    );
    out
}

/// Stores the submission. Refuses a file with errors; stores nothing unless everything stores.
pub fn commit(
    conn: &mut DbConnection,
    actor: &Actor,
    input: SubmissionInput<'_>,
) -> Result<CommitOutcome, CommitError> {
    if input.error_count > 0 {
        return Err(CommitError::HasErrors(input.error_count));
    }
    let sha = sha256_hex(input.bytes);
    let imported = input.items.len();
    let outcome = store(conn, actor, input, sha)?;
    if matches!(outcome, CommitOutcome::Stored { .. }) {
        crate::db::backend::refresh_item_statistics(conn, imported);
    }
    Ok(outcome)
}

fn store(
    conn: &mut DbConnection,
    actor: &Actor,
    input: SubmissionInput<'_>,
    sha: String,
) -> Result<CommitOutcome, CommitError> {
    crate::db::backend::with_write_cache(conn, |conn| {
        write_transaction(conn, |conn| {
            crate::db::backend::lock_round_imports(conn, input.round_id)?;
            let previous = submissions::current(conn, input.round_id, input.department_id)?;
            if let Some(prev) = &previous
                && prev.sha256 == sha
            {
                return Ok(CommitOutcome::Unchanged {
                    submission_id: prev.id,
                });
            }
            let at = now();
            let submission_id = submissions::insert(
                conn,
                &NewSubmission {
                    round_id: input.round_id,
                    department_id: input.department_id,
                    file_name: input.file_name.to_string(),
                    format: input.format.to_string(),
                    sha256: sha.clone(),
                    size_bytes: input.bytes.len() as i64,
                    content: input.bytes.to_vec(),
                    report: input.report_json.clone(),
                    item_count: input.items.len() as i64,
                    error_count: 0,
                    uploaded_by: input.uploaded_by,
                    uploaded_at: at,
                    superseded_by: None,
                },
            )?;
            if let Some(prev) = &previous {
                submissions::mark_superseded(conn, prev.id, submission_id)?;
            }

            // What the department had before, keyed by identity.
            let existing: Vec<ItemRow> =
                items::of_department(conn, input.round_id, input.department_id)?;
            let existing_ids: Vec<i64> = existing.iter().map(|r| r.id).collect();
            let existing_bases = if existing.is_empty() {
                HashMap::new()
            } else {
                items::bases_of(conn, &existing_ids)?
            };
            let mut by_key: HashMap<String, ItemRow> = existing
                .into_iter()
                .map(|r| (r.identity_key.clone(), r))
                .collect();

            // Each stated item's identity and the earlier statement it restates, if any. The
            // rows themselves are built, written and dropped a chunk at a time below, so the
            // file's items are never held twice over (the report and a copy as rows).
            let mut seen = HashSet::new();
            let mut keys: Vec<String> = Vec::with_capacity(input.items.len());
            // Boxed: a row is some 500 bytes, and a first import's 100,000 `None`s would
            // otherwise reserve 50 MB for nothing.
            let mut olds: Vec<Option<Box<ItemRow>>> = Vec::with_capacity(input.items.len());
            for stated in &input.items {
                let key = items::identity_key(&stated.draft.name, stated.draft.licence.as_deref());
                olds.push(by_key.remove(&key).map(Box::new));
                keys.push(key);
            }
            for (stated, key) in input.items.iter().zip(&keys) {
                if !seen.insert(key.as_str()) {
                    return Err(CommitError::DuplicateItem(stated.draft.name.clone()));
                }
            }
            drop(seen);
            let prior: Vec<i64> = olds.iter().flatten().map(|o| o.id).collect();
            // Decisions carried over, and the other departments' items (R09), before any write.
            let context = findings::ImportContext::load(
                conn,
                input.round_id,
                input.department_id,
                &prior,
                input
                    .items
                    .iter()
                    .zip(&keys)
                    .map(|(stated, key)| (items::kind_code(stated.draft), key.as_str())),
            )?;

            // Bases are linked to the registry's documents as they are stored (R08 reads the link).
            let documents: HashMap<String, (i64, bool, String)> = legal_documents::table
                .select((
                    legal_documents::title_key,
                    legal_documents::id,
                    legal_documents::status,
                    legal_documents::title,
                ))
                .load::<(String, i64, String, String)>(conn)?
                .into_iter()
                .map(|(key, id, status, title)| (key, (id, status == "repealed", title)))
                .collect();

            // The restated items' old bases and findings go first; theirs are written anew.
            for chunk in prior.chunks(items::INSERT_CHUNK * 4) {
                diesel::delete(legal_bases::table.filter(legal_bases::item_id.eq_any(chunk)))
                    .execute(conn)?;
                diesel::delete(findings_t::table.filter(findings_t::item_id.eq_any(chunk)))
                    .execute(conn)?;
            }

            // Rows are built on a second thread a chunk ahead of the connection writing them:
            // normalising titles, computing findings and copying every field into rows is a
            // third of the work, and it needs no database. A chunk's items not stored yet are
            // named by a placeholder id, -1 - their position in the chunk, until they have
            // their own; a row carries the bits of its open findings, so it is written once.
            let (tally, written) = std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(1);
                let builder = scope.spawn({
                    let (items, context, documents) = (&input.items, &context, &documents);
                    let place = (input.round_id, input.department_id, submission_id);
                    move || {
                        build_chunks(
                            items,
                            keys,
                            olds,
                            existing_bases,
                            context,
                            documents,
                            place,
                            at,
                            tx,
                        )
                    }
                });
                let written = write_chunks(conn, rx);
                // A failed write drops the receiver, which stops the builder at its next chunk.
                let tally = builder
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (tally, written)
            });
            written?;
            let Tally {
                added,
                changed,
                unchanged,
            } = tally;

            // Items the new file no longer lists are withdrawn, not deleted: decisions stay.
            let mut removed = Vec::new();
            let mut withdrawn_ids = Vec::new();
            let mut withdrawn_keys = Vec::new();
            for old in by_key.into_values().filter(|r| !r.withdrawn) {
                removed.push(old.name);
                withdrawn_ids.push(old.id);
                withdrawn_keys.push((old.kind, old.identity_key));
            }
            for chunk in withdrawn_ids.chunks(items::INSERT_CHUNK * 4) {
                diesel::update(items_t::table.filter(items_t::id.eq_any(chunk)))
                    .set((items_t::withdrawn.eq(true), items_t::updated_at.eq(at)))
                    .execute(conn)?;
            }

            // R09 of the other departments' items that share a key with the file or with an
            // item withdrawn here.
            context.refresh_others(
                conn,
                input.round_id,
                &withdrawn_keys
                    .iter()
                    .map(|(k, i)| (k.as_str(), i.as_str()))
                    .collect::<Vec<_>>(),
            )?;

            let outcome = CommitOutcome::Stored {
                submission_id,
                superseded: previous.as_ref().map(|p| p.id),
                added,
                removed,
                changed,
                unchanged,
            };
            audit::record(
                conn,
                actor,
                Change {
                    action: "submission.import",
                    entity: "submission",
                    entity_id: Some(submission_id.to_string()),
                    before: previous
                        .as_ref()
                        .map(|p| serde_json::json!({"submission_id": p.id, "sha256": p.sha256})),
                    after: Some(serde_json::json!({
                        "round_id": input.round_id,
                        "department_id": input.department_id,
                        "file_name": input.file_name,
                        "sha256": sha,
                        "items": input.items.len(),
                        "added": outcome_count(&outcome, 0),
                        "removed": outcome_count(&outcome, 1),
                        "changed": outcome_count(&outcome, 2),
                    })),
                },
            )?;
            Ok(outcome)
        })
    })
}

/// One chunk of a file's items as rows, ready to write.
struct Chunk {
    /// Items new to the department, and their positions in the chunk.
    fresh: Vec<NewItem>,
    fresh_at: Vec<usize>,
    /// Items the department had: their ids and new statements.
    restated: Vec<(i64, NewItem)>,
    /// How many items the chunk holds (placeholders run from -1 to -len).
    len: usize,
    bases: Vec<NewLegalBasis>,
    findings: Vec<NewFinding>,
}

/// What the file did to the department's items, as the answer lists it.
struct Tally {
    added: Vec<String>,
    changed: Vec<ChangedItem>,
    unchanged: usize,
}

/// Builds the rows of the file's items a chunk at a time and hands each to `tx`; stops early
/// when the writer has gone.
#[allow(clippy::too_many_arguments)]
fn build_chunks(
    items: &[StatedItem<'_>],
    keys: Vec<String>,
    olds: Vec<Option<Box<ItemRow>>>,
    mut existing_bases: HashMap<i64, Vec<crate::domain::LegalBasis>>,
    context: &findings::ImportContext,
    documents: &HashMap<String, (i64, bool, String)>,
    (round_id, department_id, submission_id): (i64, i64, i64),
    at: chrono::NaiveDateTime,
    tx: std::sync::mpsc::SyncSender<Chunk>,
) -> Tally {
    let mut tally = Tally {
        added: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    // A file cites the same few titles over and over: each is normalised once.
    let mut title_keys: HashMap<String, (String, Option<i64>)> = HashMap::new();
    let mut stated_items = items.iter().zip(keys).zip(olds).peekable();
    while stated_items.peek().is_some() {
        let placeholder = |n: usize| -1 - n as i64;
        let mut chunk = Chunk {
            fresh: Vec::new(),
            fresh_at: Vec::new(),
            restated: Vec::new(),
            len: 0,
            bases: Vec::new(),
            findings: Vec::new(),
        };
        for ((stated, key), old) in stated_items.by_ref().take(ROWS_PER_CHUNK) {
            let n = chunk.len;
            chunk.len += 1;
            let mut row = NewItem::from_draft_keyed(
                stated.draft,
                key,
                Placement {
                    round_id,
                    department_id,
                    submission_id,
                    sheet: stated.sheet,
                    row: stated.row,
                },
                at,
            );
            let item_id = old.as_ref().map_or(placeholder(n), |o| o.id);
            let mut repealed_bases = Vec::new();
            for (i, b) in stated.draft.legal_bases.iter().enumerate() {
                let (key, document_id) = match title_keys.get(b.title.as_str()) {
                    Some(known) => known.clone(),
                    None => {
                        let key = items::title_key(&b.title);
                        let id = documents.get(&key).map(|d| d.0);
                        title_keys.insert(b.title.clone(), (key.clone(), id));
                        (key, id)
                    }
                };
                if let Some((_, true, title)) = documents.get(&key) {
                    repealed_bases.push(title.clone());
                }
                chunk.bases.push(NewLegalBasis::from_domain_keyed(
                    item_id,
                    i,
                    b,
                    key,
                    document_id,
                ));
            }
            let first = chunk.findings.len();
            context.findings(
                &findings::StoredItem {
                    id: item_id,
                    kind: &row.kind,
                    identity_key: &row.identity_key,
                    draft: stated.draft,
                    repealed_bases,
                },
                at,
                &mut chunk.findings,
            );
            row.open_severities = chunk.findings[first..]
                .iter()
                .fold(0, |bits, f| bits | f.open_bit());
            match old {
                None => {
                    tally.added.push(stated.draft.name.clone());
                    chunk.fresh_at.push(n);
                    chunk.fresh.push(row);
                }
                Some(old) => {
                    let old_draft =
                        old.to_draft(existing_bases.remove(&old.id).unwrap_or_default());
                    let fields = changed_fields(&old_draft, stated.draft);
                    if fields.is_empty() && !old.withdrawn {
                        tally.unchanged += 1;
                    } else {
                        tally.changed.push(ChangedItem {
                            name: stated.draft.name.clone(),
                            fields,
                        });
                    }
                    // A restated item keeps its identity, state and decisions and takes the
                    // new statement.
                    let update = NewItem {
                        state: old.state,
                        created_at: old.created_at,
                        ..row
                    };
                    chunk.restated.push((old.id, update));
                }
            }
        }
        if tx.send(chunk).is_err() {
            break;
        }
    }
    tally
}

/// Writes the chunks as they come: the restated items, the new ones (learning their ids), then
/// the bases and findings with their placeholders resolved.
fn write_chunks(
    conn: &mut DbConnection,
    rx: std::sync::mpsc::Receiver<Chunk>,
) -> Result<(), CommitError> {
    for chunk in rx {
        for (id, update) in &chunk.restated {
            diesel::update(items_t::table.find(*id))
                .set(update)
                .execute(conn)?;
        }
        let ids = items::insert_items(conn, &chunk.fresh)?;
        drop(chunk.fresh);
        let mut real = vec![0i64; chunk.len];
        for (&id, &n) in ids.iter().zip(&chunk.fresh_at) {
            real[n] = id;
        }
        let resolve = |id: &mut i64| {
            if *id < 0 {
                *id = real[(-1 - *id) as usize];
            }
        };
        let (mut bases, mut new_findings) = (chunk.bases, chunk.findings);
        bases.iter_mut().for_each(|b| resolve(&mut b.item_id));
        new_findings
            .iter_mut()
            .for_each(|f| resolve(&mut f.item_id));
        items::insert_bases(conn, &bases)?;
        items::insert_findings(conn, &new_findings)?;
    }
    Ok(())
}

fn outcome_count(outcome: &CommitOutcome, which: usize) -> usize {
    match outcome {
        CommitOutcome::Unchanged { .. } => 0,
        CommitOutcome::Stored {
            added,
            removed,
            changed,
            ..
        } => [added.len(), removed.len(), changed.len()][which],
    }
}

/// Items built, written and dropped at a time by an import: big enough that the statements
/// stay few, small enough that a 100,000-row file is never held twice over.
const ROWS_PER_CHUNK: usize = 2_048;

/// Stores a read workbook: its items, and its report without them (they live in the items
/// table, so the stored report stays small whatever the file's size).
#[allow(clippy::too_many_arguments)]
pub fn commit_report(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    department_id: i64,
    file_name: &str,
    bytes: &[u8],
    report: &crate::sheets::ImportReport,
    uploaded_by: Option<i64>,
) -> Result<CommitOutcome, CommitError> {
    let stored = report
        .to_json_without_items()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    commit(
        conn,
        actor,
        SubmissionInput {
            round_id,
            department_id,
            file_name,
            format: report.format.as_str(),
            bytes,
            report_json: stored,
            items: report
                .items
                .iter()
                .map(|i| StatedItem {
                    sheet: &i.sheet,
                    row: i.row,
                    draft: &i.draft,
                })
                .collect(),
            error_count: report.errors.len(),
            uploaded_by,
        },
    )
}
