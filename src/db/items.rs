//! Items, their legal bases and findings: rows, conversions to and from the domain's
//! `ItemDraft`, and the bulk writes an import needs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{finding_messages, findings, items, legal_bases};
use super::{DbConnection, sqlite_bulk};
use crate::domain::{BasisLevel, Disposition, Finding, ItemDraft, Kind, LegalBasis, TiedTo, text};

/// States of an item (DESIGN.md: submitted → under_review → decided → published).
pub mod state {
    pub const SUBMITTED: &str = "submitted";
    pub const UNDER_REVIEW: &str = "under_review";
    pub const DECIDED: &str = "decided";
    pub const PUBLISHED: &str = "published";
}

/// An item's identity within a round and department (DESIGN.md §9): normalised name and
/// licence. It carries decisions across re-uploads and gives stable public links.
pub fn identity_key(name: &str, licence: Option<&str>) -> String {
    identity_key_of(name, licence.map(text::normalise_name).as_deref())
}

/// [`identity_key`] of a name and a licence normalised before (`text::normalise_name`): a file
/// names the same few licences over and over, and an import normalises each once.
pub fn identity_key_of(name: &str, normalised_licence: Option<&str>) -> String {
    let mut key = text::normalise_name(name);
    if let Some(l) = normalised_licence.filter(|l| !l.is_empty()) {
        key.reserve(l.len() + 1);
        key.push('|');
        key.push_str(l);
    }
    key
}

/// Rows per multi-row INSERT: under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
pub const INSERT_CHUNK: usize = 500;

#[derive(Insertable, AsChangeset, Debug, Clone)]
#[diesel(table_name = items, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct NewItem {
    pub round_id: i64,
    pub department_id: i64,
    pub submission_id: i64,
    pub identity_key: String,
    pub kind: String,
    pub name: String,
    pub licence: Option<String>,
    pub licence_code: Option<String>,
    pub target: Option<String>,
    pub cycle_months: Option<i64>,
    pub cycle_text: Option<String>,
    pub annual_report: Option<bool>,
    pub self_set: bool,
    pub proposed: Option<String>,
    pub proposed_cycle_months: Option<i64>,
    pub reason: Option<String>,
    pub remarks: Option<String>,
    pub tied_to: Option<String>,
    pub hours: Option<f64>,
    pub fee: Option<String>,
    pub fee_basis: Option<String>,
    pub provider: Option<String>,
    pub provider_designated: Option<bool>,
    pub sheet: String,
    pub row_number: i64,
    pub state: String,
    pub withdrawn: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The bits of its open findings' severities (see [`store_findings`]); 0 until they are
    /// known.
    pub open_severities: i64,
}

/// Where an item stands in its round, independent of the file it came from.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub round_id: i64,
    pub department_id: i64,
    pub submission_id: i64,
    pub sheet: &'a str,
    pub row: u32,
}

/// The kind an item is stored as: its stated kind, an inspection where none was stated.
pub fn kind_code(draft: &ItemDraft) -> &'static str {
    draft.kind.unwrap_or(Kind::Inspection).code()
}

impl NewItem {
    /// The row of a stated item, with its identity key (`identity_key(name, licence)`)
    /// already made.
    pub fn from_draft_keyed(
        draft: &ItemDraft,
        identity_key: String,
        at: Placement<'_>,
        now: NaiveDateTime,
    ) -> NewItem {
        NewItem {
            round_id: at.round_id,
            department_id: at.department_id,
            submission_id: at.submission_id,
            identity_key,
            kind: kind_code(draft).to_string(),
            name: draft.name.clone(),
            licence: draft.licence.clone(),
            licence_code: draft.licence_code.clone(),
            target: draft.target.clone(),
            cycle_months: draft.cycle_months.map(i64::from),
            cycle_text: draft.cycle_text.clone(),
            annual_report: draft.annual_report,
            self_set: draft.self_set(),
            proposed: draft.proposed.map(|d| d.code().to_string()),
            proposed_cycle_months: draft.proposed_cycle_months.map(i64::from),
            reason: draft.reason.clone(),
            remarks: draft.remarks.clone(),
            tied_to: draft.tied_to.map(|t| t.code().to_string()),
            hours: draft.hours,
            fee: draft.fee.clone(),
            fee_basis: draft.fee_basis.clone(),
            provider: draft.provider.clone(),
            provider_designated: draft.provider_designated,
            sheet: at.sheet.to_string(),
            row_number: i64::from(at.row),
            state: state::SUBMITTED.to_string(),
            withdrawn: false,
            created_at: now,
            updated_at: now,
            open_severities: 0,
        }
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = items)]
pub struct ItemRow {
    pub id: i64,
    pub round_id: i64,
    pub department_id: i64,
    pub submission_id: i64,
    pub identity_key: String,
    pub kind: String,
    pub name: String,
    pub licence: Option<String>,
    pub licence_code: Option<String>,
    pub target: Option<String>,
    pub cycle_months: Option<i64>,
    pub cycle_text: Option<String>,
    pub annual_report: Option<bool>,
    pub self_set: bool,
    pub proposed: Option<String>,
    pub proposed_cycle_months: Option<i64>,
    pub reason: Option<String>,
    pub remarks: Option<String>,
    pub tied_to: Option<String>,
    pub hours: Option<f64>,
    pub fee: Option<String>,
    pub fee_basis: Option<String>,
    pub provider: Option<String>,
    pub provider_designated: Option<bool>,
    pub sheet: String,
    pub row_number: i64,
    pub state: String,
    pub withdrawn: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ItemRow {
    /// The item as its department stated it, with the given bases.
    pub fn to_draft(&self, bases: Vec<LegalBasis>) -> ItemDraft {
        ItemDraft {
            kind: Kind::from_code(&self.kind),
            name: self.name.clone(),
            department: String::new(),
            licence: self.licence.clone(),
            licence_code: self.licence_code.clone(),
            target: self.target.clone(),
            cycle_months: self.cycle_months.and_then(|m| u32::try_from(m).ok()),
            cycle_text: self.cycle_text.clone(),
            annual_report: self.annual_report,
            legal_bases: bases,
            proposed: self.proposed.as_deref().and_then(Disposition::from_code),
            proposed_cycle_months: self
                .proposed_cycle_months
                .and_then(|m| u32::try_from(m).ok()),
            reason: self.reason.clone(),
            remarks: self.remarks.clone(),
            tied_to: self.tied_to.as_deref().and_then(TiedTo::from_code),
            hours: self.hours,
            fee: self.fee.clone(),
            fee_basis: self.fee_basis.clone(),
            provider: self.provider.clone(),
            provider_designated: self.provider_designated,
        }
    }
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = legal_bases, treat_none_as_default_value = false)]
pub struct NewLegalBasis {
    pub item_id: i64,
    pub position: i64,
    pub level: Option<String>,
    pub level_inferred: bool,
    pub title: String,
    pub title_key: String,
    pub article: Option<String>,
    pub issuer: Option<String>,
    pub document_id: Option<i64>,
}

impl NewLegalBasis {
    pub fn from_domain(item_id: i64, position: usize, b: &LegalBasis) -> NewLegalBasis {
        NewLegalBasis {
            item_id,
            position: position as i64,
            level: b.level.map(|l| l.code().to_string()),
            level_inferred: b.level_inferred,
            title: b.title.clone(),
            title_key: title_key(&b.title),
            article: b.article.clone(),
            issuer: b.issuer.clone(),
            document_id: None,
        }
    }
}

impl NewLegalBasis {
    /// As [`NewLegalBasis::from_domain`], with the title's key (`title_key(&b.title)`) and
    /// its document already known.
    pub fn from_domain_keyed(
        item_id: i64,
        position: usize,
        b: &LegalBasis,
        title_key: String,
        document_id: Option<i64>,
    ) -> NewLegalBasis {
        NewLegalBasis {
            item_id,
            position: position as i64,
            level: b.level.map(|l| l.code().to_string()),
            level_inferred: b.level_inferred,
            title: b.title.clone(),
            title_key,
            article: b.article.clone(),
            issuer: b.issuer.clone(),
            document_id,
        }
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = legal_bases)]
pub struct LegalBasisRow {
    pub id: i64,
    pub item_id: i64,
    pub position: i64,
    pub level: Option<String>,
    pub level_inferred: bool,
    pub title: String,
    pub title_key: String,
    pub article: Option<String>,
    pub issuer: Option<String>,
    pub document_id: Option<i64>,
}

impl LegalBasisRow {
    pub fn to_domain(&self) -> LegalBasis {
        LegalBasis {
            level: self.level.as_deref().and_then(BasisLevel::from_code),
            title: self.title.clone(),
            article: self.article.clone(),
            issuer: self.issuer.clone(),
            level_inferred: self.level_inferred,
        }
    }
}

/// A finding as the rules make it, with its message in both languages. It is stored as a
/// [`StoredFinding`] whose message is a row of `finding_messages`, shared by every finding
/// with the same words ([`MessageIds`]).
#[derive(Debug, Clone)]
pub struct NewFinding {
    pub item_id: i64,
    pub code: String,
    pub severity: String,
    pub message_zh: String,
    pub message_en: String,
    pub resolved: bool,
    pub computed_at: NaiveDateTime,
}

/// A row of `findings` as written.
#[derive(Insertable, Debug)]
#[diesel(table_name = findings)]
pub struct StoredFinding<'a> {
    pub item_id: i64,
    pub code: &'a str,
    pub severity: &'a str,
    pub resolved: bool,
    pub computed_at: NaiveDateTime,
    pub message_id: i64,
}

impl NewFinding {
    /// One row from the Chinese and English renderings of the same finding.
    pub fn from_pair(item_id: i64, zh: &Finding, en: &Finding, now: NaiveDateTime) -> NewFinding {
        NewFinding {
            item_id,
            code: zh.code.clone(),
            severity: zh.severity.code().to_string(),
            message_zh: zh.message.clone(),
            message_en: en.message.clone(),
            resolved: zh.resolved,
            computed_at: now,
        }
    }
}

impl NewFinding {
    /// Its bit in `items.open_severities`: its severity's, or 0 once resolved.
    pub fn open_bit(&self) -> i64 {
        match crate::domain::Severity::from_code(&self.severity) {
            Some(s) if !self.resolved => s.bit(),
            _ => 0,
        }
    }

    /// One row from a rule's hit in both languages (`rules::evaluate_both`).
    pub fn from_hit(
        item_id: i64,
        rule: &crate::domain::rules::Rule,
        hit: crate::domain::rules::Hit,
        resolved: bool,
        now: NaiveDateTime,
    ) -> NewFinding {
        NewFinding {
            item_id,
            code: rule.code.to_string(),
            severity: rule.severity.code().to_string(),
            message_zh: hit.zh,
            message_en: hit.en,
            resolved,
            computed_at: now,
        }
    }
}

/// A stored finding with its message (`findings` joined to `finding_messages`).
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = findings)]
pub struct FindingRow {
    pub id: i64,
    pub item_id: i64,
    pub code: String,
    pub severity: String,
    #[diesel(select_expression = finding_messages::message_zh)]
    pub message_zh: String,
    #[diesel(select_expression = finding_messages::message_en)]
    pub message_en: String,
    pub resolved: bool,
    pub computed_at: NaiveDateTime,
}

impl FindingRow {
    /// Its message in `lang`.
    pub fn message(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.message_zh, &self.message_en)
    }
}

/// The stored findings of the given items with their messages, by item and code.
pub fn findings_of(conn: &mut DbConnection, item_ids: &[i64]) -> QueryResult<Vec<FindingRow>> {
    let mut out = Vec::new();
    for chunk in item_ids.chunks(INSERT_CHUNK * 4) {
        out.extend(
            findings::table
                .inner_join(finding_messages::table)
                .filter(findings::item_id.eq_any(chunk))
                .order((findings::item_id, findings::code))
                .select(FindingRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The key under which a message is found again in `finding_messages`: the SHA-256, in hex, of
/// the Chinese text's length in bytes, a colon, the Chinese text and the English text (the
/// PostgreSQL migration `finding_messages` computes the same in SQL).
pub fn message_digest(zh: &str, en: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(zh.len().to_string().as_bytes());
    h.update(b":");
    h.update(zh.as_bytes());
    h.update(en.as_bytes());
    hex::encode(h.finalize())
}

/// The ids in `finding_messages` of the messages met so far by one piece of work, by their
/// texts: a rule says the same words of many items, and each is looked up or added once.
#[derive(Debug, Default)]
pub struct MessageIds {
    by_text: std::collections::HashMap<String, std::collections::HashMap<String, i64>>,
    /// The last few messages asked for, the latest first. An import's findings repeat a handful
    /// of messages one after the other, and comparing texts (lengths first) is cheaper than
    /// hashing them: hashing every message was 3% of the writing thread of a 100,000-row import.
    recent: Vec<(String, String, i64)>,
}

/// How many messages [`MessageIds`] compares before it hashes.
const RECENT_MESSAGES: usize = 8;

impl MessageIds {
    /// The id of the message, added to `finding_messages` if it is not there yet.
    pub fn id(&mut self, conn: &mut DbConnection, zh: &str, en: &str) -> QueryResult<i64> {
        if let Some(at) = self.recent.iter().position(|(z, e, _)| z == zh && e == en) {
            let id = self.recent[at].2;
            self.recent[..=at].rotate_right(1);
            return Ok(id);
        }
        let id = self.id_by_text(conn, zh, en)?;
        if self.recent.len() == RECENT_MESSAGES {
            self.recent.pop();
        }
        self.recent.insert(0, (zh.to_string(), en.to_string(), id));
        Ok(id)
    }

    fn id_by_text(&mut self, conn: &mut DbConnection, zh: &str, en: &str) -> QueryResult<i64> {
        if let Some(&id) = self.by_text.get(zh).and_then(|m| m.get(en)) {
            return Ok(id);
        }
        let digest = message_digest(zh, en);
        let row = (
            finding_messages::digest.eq(&digest),
            finding_messages::message_zh.eq(zh),
            finding_messages::message_en.eq(en),
        );
        // Another transaction may add the same words meanwhile: the unique digest keeps one.
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(finding_messages::table)
                .values(row)
                .on_conflict(finding_messages::digest)
                .do_nothing()
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(finding_messages::table)
                .values(row)
                .on_conflict(finding_messages::digest)
                .do_nothing()
                .execute(c)?,
        };
        let id = finding_messages::table
            .filter(finding_messages::digest.eq(&digest))
            .select(finding_messages::id)
            .first(conn)?;
        self.by_text
            .entry(zh.to_string())
            .or_default()
            .insert(en.to_string(), id);
        Ok(id)
    }
}

crate::bulk_row!(NewItem => items {
    round_id, department_id, submission_id, identity_key, kind, name, licence, licence_code,
    target, cycle_months, cycle_text, annual_report, self_set, proposed, proposed_cycle_months,
    reason, remarks, tied_to, hours, fee, fee_basis, provider, provider_designated, sheet,
    row_number, state, withdrawn, created_at, updated_at, open_severities,
});
crate::bulk_row!(NewLegalBasis => legal_bases {
    item_id, position, level, level_inferred, title, title_key, article, issuer, document_id,
});
crate::bulk_row!(StoredFinding<'_> => findings {
    item_id, code, severity, resolved, computed_at, message_id,
});

/// Inserts items and answers their new ids, in order. On SQLite through one prepared
/// statement (`sqlite_bulk`); on PostgreSQL through multi-row INSERTs that return each row's
/// key and id (the keys are unique within a department's round).
pub fn insert_items(conn: &mut DbConnection, rows: &[NewItem]) -> QueryResult<Vec<i64>> {
    match conn {
        DbConnection::Sqlite(c) => sqlite_bulk::with_handle(c, |mut h| h.insert(rows)),
        DbConnection::Postgres(c) => {
            let mut ids = Vec::with_capacity(rows.len());
            for chunk in rows.chunks(INSERT_CHUNK / 2) {
                let by_key: std::collections::HashMap<String, i64> =
                    diesel::insert_into(items::table)
                        .values(chunk)
                        .returning((items::identity_key, items::id))
                        .get_results::<(String, i64)>(c)?
                        .into_iter()
                        .collect();
                for row in chunk {
                    // Every inserted row comes back; a key missing would be a bug, not a 0.
                    ids.push(
                        by_key
                            .get(&row.identity_key)
                            .copied()
                            .ok_or(diesel::result::Error::NotFound)?,
                    );
                }
            }
            Ok(ids)
        }
    }
}

pub fn insert_bases(conn: &mut DbConnection, rows: &[NewLegalBasis]) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        return sqlite_bulk::with_handle(c, |mut h| h.insert(rows)).map(drop);
    }
    for chunk in rows.chunks(INSERT_CHUNK * 2) {
        crate::insert_batch!(&mut *conn, legal_bases::table, chunk)?;
    }
    Ok(())
}

/// Stores findings, each message looked up or added through `messages`.
pub fn insert_findings(
    conn: &mut DbConnection,
    messages: &mut MessageIds,
    rows: &[NewFinding],
) -> QueryResult<()> {
    let mut stored = Vec::with_capacity(rows.len());
    for f in rows {
        stored.push(StoredFinding {
            item_id: f.item_id,
            code: &f.code,
            severity: &f.severity,
            resolved: f.resolved,
            computed_at: f.computed_at,
            message_id: messages.id(conn, &f.message_zh, &f.message_en)?,
        });
    }
    if let DbConnection::Sqlite(c) = conn {
        return sqlite_bulk::with_handle(c, |mut h| h.insert(&stored)).map(drop);
    }
    for chunk in stored.chunks(INSERT_CHUNK * 2) {
        crate::insert_batch!(&mut *conn, findings::table, chunk)?;
    }
    Ok(())
}

/// Writes the findings of some items and keeps `items.open_severities` in step with them.
/// `rows` are the complete findings of the items they name; `replaced` are the items whose
/// earlier findings were deleted (an item among them left without open findings goes back to
/// 0). Items not in `replaced` are new and start at 0, so only those with open findings are
/// written: one UPDATE per distinct value and chunk, not one per item.
pub fn store_findings(
    conn: &mut DbConnection,
    replaced: &[i64],
    rows: &[NewFinding],
) -> QueryResult<()> {
    insert_findings(conn, &mut MessageIds::default(), rows)?;
    let mut bits: std::collections::HashMap<i64, i64> =
        replaced.iter().map(|&id| (id, 0)).collect();
    for f in rows {
        *bits.entry(f.item_id).or_insert(0) |= f.open_bit();
    }
    let replaced: std::collections::HashSet<i64> = replaced.iter().copied().collect();
    let mut by_value: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (id, value) in bits {
        if value != 0 || replaced.contains(&id) {
            by_value.entry(value).or_default().push(id);
        }
    }
    set_open_severities(conn, by_value)
}

/// Sets `items.open_severities` of the given items from their stored findings, after some of
/// their findings were added or removed row by row.
pub fn refresh_open_severities(conn: &mut DbConnection, item_ids: &[i64]) -> QueryResult<()> {
    let mut bits: std::collections::HashMap<i64, i64> =
        item_ids.iter().map(|&id| (id, 0)).collect();
    for chunk in item_ids.chunks(INSERT_CHUNK * 4) {
        let rows: Vec<(i64, String)> = findings::table
            .filter(findings::item_id.eq_any(chunk))
            .filter(findings::resolved.eq(false))
            .select((findings::item_id, findings::severity))
            .load(conn)?;
        for (item_id, severity) in rows {
            if let Some(s) = crate::domain::Severity::from_code(&severity) {
                *bits.entry(item_id).or_insert(0) |= s.bit();
            }
        }
    }
    let mut by_value: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (id, value) in bits {
        by_value.entry(value).or_default().push(id);
    }
    set_open_severities(conn, by_value)
}

/// One UPDATE per distinct value and chunk.
fn set_open_severities(
    conn: &mut DbConnection,
    by_value: std::collections::BTreeMap<i64, Vec<i64>>,
) -> QueryResult<()> {
    for (value, mut ids) in by_value {
        ids.sort_unstable();
        for chunk in ids.chunks(INSERT_CHUNK * 4) {
            diesel::update(items::table.filter(items::id.eq_any(chunk)))
                .set(items::open_severities.eq(value))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The items of a department in a round (withdrawn ones included), keyed for diffing.
pub fn of_department(
    conn: &mut DbConnection,
    round_id: i64,
    department_id: i64,
) -> QueryResult<Vec<ItemRow>> {
    items::table
        .filter(items::round_id.eq(round_id))
        .filter(items::department_id.eq(department_id))
        .select(ItemRow::as_select())
        .load(conn)
}

/// The bases of the given items, grouped per item in position order.
pub fn bases_of(
    conn: &mut DbConnection,
    item_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Vec<LegalBasis>>> {
    let mut out: std::collections::HashMap<i64, Vec<LegalBasis>> = std::collections::HashMap::new();
    for chunk in item_ids.chunks(INSERT_CHUNK * 4) {
        let rows: Vec<LegalBasisRow> = legal_bases::table
            .filter(legal_bases::item_id.eq_any(chunk))
            .order((legal_bases::item_id, legal_bases::position))
            .select(LegalBasisRow::as_select())
            .load(conn)?;
        for r in rows {
            out.entry(r.item_id).or_default().push(r.to_domain());
        }
    }
    Ok(out)
}

/// The key that matches a basis to a legal document (see `basis::normalise_title`).
pub fn title_key(title: &str) -> String {
    crate::domain::basis::normalise_title(title)
}
