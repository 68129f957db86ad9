//! Storing a read workbook: one submission and its items in one transaction, all or nothing.
//! Identical bytes are a no-op; a newer file of the same department and round supersedes the
//! older one, and the answer lists the items added, removed and changed against it.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::audit::{self, Actor, Change};
use crate::db::items::{self, ItemRow, NewFinding, NewItem, NewLegalBasis, Placement};
use crate::db::schema::{
    findings as findings_t, items as items_t, legal_bases, legal_documents,
    submissions as submissions_t,
};
use crate::db::submissions::{self, NewSubmission};
use crate::db::{DbConnection, now, write_transaction};
use crate::domain::ItemDraft;
use crate::service::findings;
use crate::service::parse::{Frame, Parsing, WithItems};
use crate::sheets::{FileError, ImportReport, ReportItem};

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
    #[error(
        "文件未能读完，未保存任何内容 (the file could not be read to its end; nothing was stored)"
    )]
    NotRead,
    /// Items streamed before were changed at the end of their sheet: the commit starts again
    /// from the whole report (never seen outside this module).
    #[error("文件需要重新读取 (the file must be read again)")]
    Reread,
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
    let items: Vec<ReportItem> = input
        .items
        .iter()
        .map(|i| ReportItem {
            sheet: i.sheet.to_string(),
            row: i.row,
            draft: i.draft.clone(),
            findings: Vec::new(),
        })
        .collect();
    let mut feed = Whole::new(
        items,
        Ending {
            format: input.format.to_string(),
            report_json: input.report_json,
            error_count: 0,
        },
    );
    let upload = Upload {
        round_id: input.round_id,
        department_id: input.department_id,
        file_name: input.file_name,
        bytes: input.bytes,
        uploaded_by: input.uploaded_by,
    };
    let outcome = store(conn, actor, &upload, &mut feed, None)?;
    if matches!(outcome, CommitOutcome::Stored { .. }) {
        crate::db::backend::refresh_item_statistics(conn, input.items.len());
    }
    Ok(outcome)
}

/// Where and by whom a file is stored.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub round_id: i64,
    pub department_id: i64,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub uploaded_by: Option<i64>,
}

/// What is known of a file once all its items have come.
#[derive(Debug, Clone)]
pub struct Ending {
    pub format: String,
    /// The report to store (JSON), items left out.
    pub report_json: String,
    pub error_count: usize,
}

/// The items of a file as the commit takes them: a chunk at a time, in file order, then how
/// the read ended.
pub trait Feed: Send {
    /// The next items, or [`Frame::Reset`]; `None` after the last.
    fn next_frame(&mut self) -> Option<Frame>;
    /// After the last frame: how the read ended; `Err` when the file could not be read.
    fn end(&mut self) -> Result<Ending, CommitError>;
}

/// A file read whole before the commit.
struct Whole {
    items: std::vec::IntoIter<ReportItem>,
    ending: Option<Ending>,
}

impl Whole {
    fn new(items: Vec<ReportItem>, ending: Ending) -> Whole {
        Whole {
            items: items.into_iter(),
            ending: Some(ending),
        }
    }
}

impl Feed for Whole {
    fn next_frame(&mut self) -> Option<Frame> {
        let chunk: Vec<ReportItem> = self.items.by_ref().take(ROWS_PER_CHUNK).collect();
        (!chunk.is_empty()).then_some(Frame::Items(chunk))
    }
    fn end(&mut self) -> Result<Ending, CommitError> {
        self.ending.take().ok_or(CommitError::NotRead)
    }
}

/// A file read by the parse child while its items are stored.
struct Streaming {
    parsing: Option<Parsing>,
    /// The child's answer, once [`Feed::end`] has waited for it.
    answer: Option<Result<ImportReport, FileError>>,
}

impl Feed for Streaming {
    fn next_frame(&mut self) -> Option<Frame> {
        self.parsing.as_mut()?.next_frame()
    }
    fn end(&mut self) -> Result<Ending, CommitError> {
        let answer = match self.parsing.take() {
            Some(parsing) => self.answer.insert(parsing.finish()),
            None => self.answer.as_mut().ok_or(CommitError::NotRead)?,
        };
        let report = answer.as_ref().map_err(|_| CommitError::NotRead)?;
        Ok(Ending {
            format: report.format.as_str().to_string(),
            report_json: report
                .to_json_without_items()
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?,
            error_count: report.errors.len(),
        })
    }
}

/// Reads a file in the parse child and stores its items as the child hands them over, in one
/// transaction: the read and the writes overlap, on two cores nearly all of the read. Gives the
/// report (with every item in it when the child was started with [`WithItems::All`], whatever
/// the commit did; with none for [`WithItems::Drafts`], its summary still counting them) or
/// why the file cannot be used; and, when the file could be read, what the commit did —
/// `HasErrors` for a file with row errors, after which nothing is stored. A child started with
/// [`WithItems::No`] hands over nothing to store: refused.
pub fn read_and_commit(
    conn: &mut DbConnection,
    actor: &Actor,
    upload: &Upload<'_>,
    parsing: Parsing,
) -> Result<(ImportReport, Result<CommitOutcome, CommitError>), FileError> {
    let keep_items = match parsing.with_items() {
        WithItems::All => true,
        WithItems::Drafts => false,
        WithItems::No => {
            return Err(
                FileError::new(crate::sheets::FileErrorCode::Corrupt).with_detail(
                    crate::sheets::guard::Detail::Reader("internal: a parse without items".into()),
                ),
            );
        }
    };
    let mut feed = Streaming {
        parsing: Some(parsing),
        answer: None,
    };
    let mut kept = Vec::new();
    let stored = store(
        conn,
        actor,
        upload,
        &mut feed,
        keep_items.then_some(&mut kept),
    );
    let mut reread = matches!(stored, Err(CommitError::Reread));
    // The commit may have stopped early (an unchanged file, a duplicate, a failed write, a
    // reset): the rest of the items still belong in the report.
    let answer = match (feed.parsing.take(), feed.answer.take()) {
        (Some(mut parsing), _) => {
            while let Some(frame) = parsing.next_frame() {
                match frame {
                    Frame::Items(items) if keep_items => kept.extend(items),
                    Frame::Items(_) => {}
                    Frame::Reset => {
                        kept.clear();
                        reread = true;
                    }
                }
            }
            parsing.finish()
        }
        (None, Some(answer)) => answer,
        (None, None) => Err(FileError::new(crate::sheets::FileErrorCode::Corrupt)),
    };
    let mut report = answer?;
    if reread && !matches!(stored, Err(CommitError::Db(_))) {
        // Items streamed were changed at the end of their sheet (merged cells): the report has
        // them all as they finally read, and they are stored from it.
        let stored = commit_report(conn, actor, upload, &mut report);
        if !keep_items {
            report.items = Vec::new();
        }
        return Ok((report, stored));
    }
    kept.append(&mut report.items);
    report.items = kept;
    let stored = match stored {
        // Row errors come first, whatever else stopped the commit.
        _ if !report.errors.is_empty() => Err(CommitError::HasErrors(report.errors.len())),
        Ok(outcome) => {
            crate::db::backend::refresh_item_statistics(conn, report.summary.items);
            Ok(outcome)
        }
        Err(e) => Err(e),
    };
    Ok((report, stored))
}

/// Stores the items of `feed` as one submission, in one transaction. `kept`, if given, receives
/// every item the commit took from the feed (so the caller's report can have them back).
fn store(
    conn: &mut DbConnection,
    actor: &Actor,
    upload: &Upload<'_>,
    feed: &mut dyn Feed,
    kept: Option<&mut Vec<ReportItem>>,
) -> Result<CommitOutcome, CommitError> {
    let sha = sha256_hex(upload.bytes);
    crate::db::backend::with_bulk_write_settings(conn, |conn| {
        write_transaction(conn, |conn| {
            crate::db::backend::lock_round_imports(conn, upload.round_id)?;
            let previous = submissions::current(conn, upload.round_id, upload.department_id)?;
            if let Some(prev) = &previous
                && prev.sha256 == sha
            {
                return Ok(CommitOutcome::Unchanged {
                    submission_id: prev.id,
                });
            }
            let at = now();
            // The format, report and count are set once the read has ended.
            let submission_id = submissions::insert(
                conn,
                &NewSubmission {
                    round_id: upload.round_id,
                    department_id: upload.department_id,
                    file_name: upload.file_name.to_string(),
                    format: "xlsx".to_string(),
                    sha256: sha.clone(),
                    size_bytes: upload.bytes.len() as i64,
                    report: String::new(),
                    item_count: 0,
                    error_count: 0,
                    uploaded_by: upload.uploaded_by,
                    uploaded_at: at,
                    superseded_by: None,
                },
                upload.bytes,
            )?;
            if let Some(prev) = &previous {
                submissions::mark_superseded(conn, prev.id, submission_id)?;
            }

            // What the department had before, keyed by identity.
            let existing: Vec<ItemRow> =
                items::of_department(conn, upload.round_id, upload.department_id)?;
            let existing_ids: Vec<i64> = existing.iter().map(|r| r.id).collect();
            let existing_bases = if existing.is_empty() {
                HashMap::new()
            } else {
                items::bases_of(conn, &existing_ids)?
            };
            let by_key: HashMap<String, ItemRow> = existing
                .into_iter()
                .map(|r| (r.identity_key.clone(), r))
                .collect();
            // Decisions carried over, and the other departments' items (R09), before any write.
            let context = findings::ImportContext::load(
                conn,
                upload.round_id,
                upload.department_id,
                &existing_ids,
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

            // Rows are built on a second thread a chunk ahead of the connection writing them,
            // as the items come: normalising titles, computing findings and copying every
            // field into rows is a third of the work, and it needs no database. A chunk's items
            // not stored yet are named by a placeholder id, -1 - their position in the chunk,
            // until they have their own; a row carries the bits of its open findings, so it is
            // written once.
            let (built, written) = std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(1);
                let (spent_tx, spent) = std::sync::mpsc::channel::<Chunk>();
                let builder = scope.spawn({
                    let (context, documents) = (&context, &documents);
                    let place = (upload.round_id, upload.department_id, submission_id);
                    let feed = &mut *feed;
                    move || {
                        build_chunks(
                            feed,
                            kept,
                            by_key,
                            existing_bases,
                            context,
                            documents,
                            place,
                            at,
                            tx,
                            spent,
                        )
                    }
                });
                let written = write_chunks(conn, rx, spent_tx);
                // A failed write drops the receiver, which stops the builder at its next chunk.
                let built = builder
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (built, written)
            });
            written?;
            let Built {
                tally:
                    Tally {
                        added,
                        changed,
                        unchanged,
                    },
                by_key,
                file_keys,
                count,
            } = built?;
            let ending = feed.end()?;
            if ending.error_count > 0 {
                return Err(CommitError::HasErrors(ending.error_count));
            }
            diesel::update(submissions_t::table.find(submission_id))
                .set((
                    submissions_t::format.eq(&ending.format),
                    submissions_t::report.eq(&ending.report_json),
                    submissions_t::item_count.eq(count as i64),
                ))
                .execute(conn)?;

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
                upload.round_id,
                file_keys.iter().map(|(key, kind)| (*kind, key.as_str())),
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
                        "round_id": upload.round_id,
                        "department_id": upload.department_id,
                        "file_name": upload.file_name,
                        "sha256": sha,
                        "items": count,
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

/// What the builder leaves when the feed has run dry.
struct Built {
    tally: Tally,
    /// The department's items the file did not state again.
    by_key: HashMap<String, ItemRow>,
    /// The identity key of every item of the file, and its kind.
    file_keys: HashMap<String, &'static str>,
    count: usize,
}

/// Builds the rows of the feed's items a chunk at a time and hands each to `tx`; stops early
/// when the writer has gone. Every item taken from the feed ends in `kept`, if given.
#[allow(clippy::too_many_arguments)]
fn build_chunks(
    feed: &mut dyn Feed,
    mut kept: Option<&mut Vec<ReportItem>>,
    mut by_key: HashMap<String, ItemRow>,
    mut existing_bases: HashMap<i64, Vec<crate::domain::LegalBasis>>,
    context: &findings::ImportContext,
    documents: &HashMap<String, (i64, bool, String)>,
    (round_id, department_id, submission_id): (i64, i64, i64),
    at: chrono::NaiveDateTime,
    tx: std::sync::mpsc::SyncSender<Chunk>,
    spent: std::sync::mpsc::Receiver<Chunk>,
) -> Result<Built, CommitError> {
    let mut tally = Tally {
        added: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    let mut file_keys: HashMap<String, &'static str> = HashMap::new();
    // A file cites the same few titles and licences over and over: each is normalised once.
    let mut title_keys: HashMap<String, (String, Option<i64>)> = HashMap::new();
    let mut licence_keys: HashMap<String, String> = HashMap::new();
    while let Some(frame) = feed.next_frame() {
        spent.try_iter().for_each(drop);
        let stated = match frame {
            Frame::Items(items) => items,
            Frame::Reset => return Err(CommitError::Reread),
        };
        let placeholder = |n: usize| -1 - n as i64;
        let mut chunk = Chunk {
            fresh: Vec::new(),
            fresh_at: Vec::new(),
            restated: Vec::new(),
            len: 0,
            bases: Vec::new(),
            findings: Vec::new(),
        };
        let mut duplicate = None;
        for stated in &stated {
            if let Some(l) = stated.draft.licence.as_deref()
                && !licence_keys.contains_key(l)
            {
                licence_keys.insert(l.to_string(), crate::domain::text::normalise_name(l));
            }
            let licence = (stated.draft.licence.as_deref()).and_then(|l| licence_keys.get(l));
            let key = items::identity_key_of(&stated.draft.name, licence.map(String::as_str));
            let kind = items::kind_code(&stated.draft);
            if file_keys.insert(key.clone(), kind).is_some() {
                duplicate = Some(stated.draft.name.clone());
                break;
            }
            let old = by_key.remove(&key);
            let n = chunk.len;
            chunk.len += 1;
            let mut row = NewItem::from_draft_keyed(
                &stated.draft,
                key,
                Placement {
                    round_id,
                    department_id,
                    submission_id,
                    sheet: &stated.sheet,
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
                    draft: &stated.draft,
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
                    let fields = changed_fields(&old_draft, &stated.draft);
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
        match kept.as_deref_mut() {
            Some(kept) => kept.extend(stated),
            // Dropped here, beside the writer, rather than kept to the end.
            None => drop(stated),
        }
        if let Some(name) = duplicate {
            return Err(CommitError::DuplicateItem(name));
        }
        if tx.send(chunk).is_err() {
            break;
        }
    }
    Ok(Built {
        tally,
        by_key,
        count: file_keys.len(),
        file_keys,
    })
}

/// Writes the chunks as they come: the restated items, the new ones (learning their ids), then
/// the bases and findings with their placeholders resolved.
fn write_chunks(
    conn: &mut DbConnection,
    rx: std::sync::mpsc::Receiver<Chunk>,
    spent: std::sync::mpsc::Sender<Chunk>,
) -> Result<(), CommitError> {
    let mut messages = items::MessageIds::default();
    for mut chunk in rx {
        // The restated items' old bases and findings go first; theirs are written anew.
        let restated: Vec<i64> = chunk.restated.iter().map(|(id, _)| *id).collect();
        if !restated.is_empty() {
            diesel::delete(legal_bases::table.filter(legal_bases::item_id.eq_any(&restated)))
                .execute(conn)?;
            diesel::delete(findings_t::table.filter(findings_t::item_id.eq_any(&restated)))
                .execute(conn)?;
        }
        for (id, update) in &chunk.restated {
            diesel::update(items_t::table.find(*id))
                .set(update)
                .execute(conn)?;
        }
        let ids = items::insert_items(conn, &chunk.fresh)?;
        let mut real = vec![0i64; chunk.len];
        for (&id, &n) in ids.iter().zip(&chunk.fresh_at) {
            real[n] = id;
        }
        let resolve = |id: &mut i64| {
            if *id < 0 {
                *id = real[(-1 - *id) as usize];
            }
        };
        chunk.bases.iter_mut().for_each(|b| resolve(&mut b.item_id));
        chunk
            .findings
            .iter_mut()
            .for_each(|f| resolve(&mut f.item_id));
        items::insert_bases(conn, &chunk.bases)?;
        items::insert_findings(conn, &mut messages, &chunk.findings)?;
        // Freed by the builder, whose allocations they are, off this busier thread.
        let _ = spent.send(chunk);
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
/// table, so the stored report stays small whatever the file's size). The report's items are
/// taken for the commit and put back.
pub fn commit_report(
    conn: &mut DbConnection,
    actor: &Actor,
    upload: &Upload<'_>,
    report: &mut ImportReport,
) -> Result<CommitOutcome, CommitError> {
    if !report.errors.is_empty() {
        return Err(CommitError::HasErrors(report.errors.len()));
    }
    let stored = report
        .to_json_without_items()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let mut feed = Whole::new(
        std::mem::take(&mut report.items),
        Ending {
            format: report.format.as_str().to_string(),
            report_json: stored,
            error_count: 0,
        },
    );
    let mut kept = Vec::with_capacity(feed.items.len());
    let outcome = store(conn, actor, upload, &mut feed, Some(&mut kept));
    kept.extend(feed.items);
    report.items = kept;
    let outcome = outcome?;
    if matches!(outcome, CommitOutcome::Stored { .. }) {
        crate::db::backend::refresh_item_statistics(conn, report.items.len());
    }
    Ok(outcome)
}
