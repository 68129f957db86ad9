//! The legal documents registry: laws, regulations, rules and normative documents, matched to
//! items' bases by normalised title. Marking a document repealed re-flags every item that cites
//! it (R08) and says which.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::audit::{self, Actor, Change};
use crate::db::items::title_key;
use crate::db::schema::{items, legal_bases, legal_documents};
use crate::db::{DbConnection, now, write_transaction};
use crate::domain::{BasisLevel, DocumentStatus, Lang};
use crate::service::admin::table::{self, Column, Record};
use crate::service::admin::{AdminError, Refusal, RowProblem};
use crate::service::findings::{self, Selection};
use crate::sheets::guard::Limits;

/// A document as an admin or reviewer enters it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentInput {
    pub title: String,
    pub doc_number: Option<String>,
    pub issuer: Option<String>,
    pub level: String,
    pub status: String,
    pub issued_on: Option<NaiveDate>,
    pub effective_on: Option<NaiveDate>,
    pub repealed_on: Option<NaiveDate>,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = legal_documents)]
pub struct DocumentRow {
    pub id: i64,
    pub title: String,
    pub title_key: String,
    pub doc_number: Option<String>,
    pub issuer: Option<String>,
    pub level: String,
    pub status: String,
    pub issued_on: Option<NaiveDate>,
    pub effective_on: Option<NaiveDate>,
    pub repealed_on: Option<NaiveDate>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// An item whose findings a document change touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CitingItem {
    pub item_id: i64,
    pub round_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentChange {
    pub document: DocumentRow,
    /// Items that cite the document; their findings were recomputed.
    pub citing: Vec<CitingItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentError {
    NotFound,
    TitleMissing,
    UnknownLevel(String),
    UnknownStatus(String),
    DuplicateTitle(String),
    DatesOutOfOrder,
    Db(String),
}

impl From<diesel::result::Error> for DocumentError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => DocumentError::NotFound,
            other => DocumentError::Db(other.to_string()),
        }
    }
}

impl DocumentError {
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::NotFound => "document_not_found",
            DocumentError::TitleMissing => "title_missing",
            DocumentError::UnknownLevel(_) => "unknown_level",
            DocumentError::UnknownStatus(_) => "unknown_status",
            DocumentError::DuplicateTitle(_) => "duplicate_title",
            DocumentError::DatesOutOfOrder => "dates_out_of_order",
            DocumentError::Db(_) => "internal",
        }
    }
    pub fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            DocumentError::NotFound => ("未找到该法律文件".into(), "No such legal document".into()),
            DocumentError::TitleMissing => {
                ("请填写文件名称".into(), "The title is required".into())
            }
            DocumentError::UnknownLevel(s) => (
                format!(
                    "无法识别的层级“{s}”，可选：法律、行政法规、国务院决定、部门规章、地方性法规、地方政府规章、规范性文件"
                ),
                format!("Unknown level “{s}”"),
            ),
            DocumentError::UnknownStatus(s) => (
                format!("无法识别的状态“{s}”，可选：现行有效、已修订、已废止"),
                format!("Unknown status “{s}”: use in_force, amended or repealed"),
            ),
            DocumentError::DuplicateTitle(t) => (
                format!("已有同名文件《{t}》"),
                format!("A document titled “{t}” already exists"),
            ),
            DocumentError::DatesOutOfOrder => (
                "日期顺序有误：施行日期不能早于发布日期，废止日期不能早于施行日期".into(),
                "Dates out of order: effective before issued, or repealed before effective".into(),
            ),
            DocumentError::Db(_) => ("服务器内部错误，已记录".into(), "Internal error".into()),
        };
        lang.pick(&zh, &en).to_string()
    }
}

fn parse_level(s: &str) -> Result<BasisLevel, DocumentError> {
    let t = s.trim();
    BasisLevel::from_code(t)
        .or_else(|| BasisLevel::ALL.iter().copied().find(|l| l.zh() == t))
        .ok_or_else(|| DocumentError::UnknownLevel(t.chars().take(40).collect()))
}

fn parse_status(s: &str) -> Result<DocumentStatus, DocumentError> {
    let t = s.trim();
    DocumentStatus::from_code(t)
        .or_else(|| DocumentStatus::ALL.iter().copied().find(|l| l.zh() == t))
        .or(match t {
            "有效" | "现行" => Some(DocumentStatus::InForce),
            "废止" | "失效" | "已失效" => Some(DocumentStatus::Repealed),
            "修订" | "已修改" => Some(DocumentStatus::Amended),
            _ => None,
        })
        .ok_or_else(|| DocumentError::UnknownStatus(t.chars().take(40).collect()))
}

struct Valid {
    title: String,
    key: String,
    level: BasisLevel,
    status: DocumentStatus,
}

fn validate(input: &DocumentInput) -> Result<Valid, DocumentError> {
    let cleaned = crate::domain::text::clean(&input.title);
    let title = cleaned
        .trim_matches(|c: char| c == '《' || c == '》' || c.is_whitespace())
        .to_string();
    let key = title_key(&title);
    if title.is_empty() || key.is_empty() {
        return Err(DocumentError::TitleMissing);
    }
    let level = parse_level(&input.level)?;
    let status = parse_status(&input.status)?;
    if let (Some(a), Some(b)) = (input.issued_on, input.effective_on)
        && b < a
    {
        return Err(DocumentError::DatesOutOfOrder);
    }
    if let (Some(a), Some(b)) = (input.effective_on.or(input.issued_on), input.repealed_on)
        && b < a
    {
        return Err(DocumentError::DatesOutOfOrder);
    }
    Ok(Valid {
        key,
        title,
        level,
        status,
    })
}

/// Links every basis with the document's title key to it and recomputes the citing items.
fn relink(conn: &mut DbConnection, doc: &DocumentRow) -> QueryResult<Vec<CitingItem>> {
    diesel::update(legal_bases::table.filter(legal_bases::document_id.eq(doc.id)))
        .set(legal_bases::document_id.eq(None::<i64>))
        .execute(conn)?;
    diesel::update(legal_bases::table.filter(legal_bases::title_key.eq(&doc.title_key)))
        .set(legal_bases::document_id.eq(Some(doc.id)))
        .execute(conn)?;
    let citing: Vec<CitingItem> = legal_bases::table
        .inner_join(items::table)
        .filter(legal_bases::document_id.eq(doc.id))
        .filter(items::withdrawn.eq(false))
        .select((items::id, items::round_id, items::name))
        .distinct()
        .order(items::id)
        .load::<(i64, i64, String)>(conn)?
        .into_iter()
        .map(|(item_id, round_id, name)| CitingItem {
            item_id,
            round_id,
            name,
        })
        .collect();
    let mut rounds: Vec<i64> = citing.iter().map(|c| c.round_id).collect();
    rounds.sort();
    rounds.dedup();
    for round_id in rounds {
        let ids = citing
            .iter()
            .filter(|c| c.round_id == round_id)
            .map(|c| c.item_id)
            .collect();
        findings::recompute(conn, &Selection::Items { round_id, ids })?;
    }
    Ok(citing)
}

/// Creates a document, or updates the one with the same id.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Option<i64>,
    input: &DocumentInput,
) -> Result<DocumentChange, DocumentError> {
    let valid = validate(input)?;
    write_transaction(conn, |conn| save_valid(conn, actor, id, input, &valid))
}

/// The body of [`save`] inside the caller's transaction (an import saves many in one).
fn save_valid(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Option<i64>,
    input: &DocumentInput,
    valid: &Valid,
) -> Result<DocumentChange, DocumentError> {
    {
        let clash: Option<i64> = legal_documents::table
            .filter(legal_documents::title_key.eq(&valid.key))
            .select(legal_documents::id)
            .first(conn)
            .optional()?;
        if clash.is_some() && clash != id {
            return Err(DocumentError::DuplicateTitle(valid.title.clone()));
        }
        let at = now();
        let before = match id {
            Some(id) => Some(
                legal_documents::table
                    .find(id)
                    .select(DocumentRow::as_select())
                    .first(conn)?,
            ),
            None => None,
        };
        let values = (
            legal_documents::title.eq(&valid.title),
            legal_documents::title_key.eq(&valid.key),
            legal_documents::doc_number.eq(input
                .doc_number
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())),
            legal_documents::issuer.eq(input
                .issuer
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())),
            legal_documents::level.eq(valid.level.code()),
            legal_documents::status.eq(valid.status.code()),
            legal_documents::issued_on.eq(input.issued_on),
            legal_documents::effective_on.eq(input.effective_on),
            legal_documents::repealed_on.eq(input.repealed_on),
            legal_documents::updated_at.eq(at),
        );
        let doc_id = match id {
            Some(id) => {
                diesel::update(legal_documents::table.find(id))
                    .set(values)
                    .execute(conn)?;
                id
            }
            None => diesel::insert_into(legal_documents::table)
                .values((values, legal_documents::created_at.eq(at)))
                .returning(legal_documents::id)
                .get_result(conn)?,
        };
        let document: DocumentRow = legal_documents::table
            .find(doc_id)
            .select(DocumentRow::as_select())
            .first(conn)?;
        let citing = relink(conn, &document)?;
        audit::record(
            conn,
            actor,
            Change {
                action: if before.is_some() {
                    "document.update"
                } else {
                    "document.create"
                },
                entity: "legal_document",
                entity_id: Some(doc_id.to_string()),
                before: before
                    .as_ref()
                    .map(|b| serde_json::to_value(b).unwrap_or_default()),
                after: Some(serde_json::json!({
                    "document": serde_json::to_value(&document).unwrap_or_default(),
                    "citing_items": citing.len(),
                })),
            },
        )?;
        Ok(DocumentChange { document, citing })
    }
}

/// The columns of a documents spreadsheet, with the header texts departments write.
pub const IMPORT_COLUMNS: &[Column] = &[
    Column {
        key: "title",
        names: &[
            "文件名称",
            "名称",
            "标题",
            "法律法规名称",
            "依据名称",
            "title",
        ],
        required: true,
    },
    Column {
        key: "doc_number",
        names: &[
            "文号",
            "发文字号",
            "发文文号",
            "令号",
            "doc_number",
            "number",
        ],
        required: false,
    },
    Column {
        key: "issuer",
        names: &["发布机关", "制定机关", "发文机关", "颁布机关", "issuer"],
        required: false,
    },
    Column {
        key: "level",
        names: &["层级", "依据层级", "效力级别", "效力层级", "level"],
        required: true,
    },
    Column {
        key: "status",
        names: &["状态", "时效性", "效力状态", "status"],
        required: false,
    },
    Column {
        key: "issued_on",
        names: &["发布日期", "公布日期", "颁布日期", "issued_on", "issued"],
        required: false,
    },
    Column {
        key: "effective_on",
        names: &[
            "施行日期",
            "生效日期",
            "实施日期",
            "effective_on",
            "effective",
        ],
        required: false,
    },
    Column {
        key: "repealed_on",
        names: &["废止日期", "失效日期", "repealed_on", "repealed"],
        required: false,
    },
];

/// What a documents import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = DocumentImportOutcome)]
pub struct ImportOutcome {
    pub file: String,
    pub sha256: String,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
    /// Items whose findings changed because a document they cite changed (R08 on repeal).
    pub citing: Vec<CitingItem>,
}

/// A date as clerks write it (`2017-06-30`, `2017/6/30`, `2017.6.30`, `2017年6月30日`) or as
/// a spreadsheet stores it (a serial day number).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let t = raw.trim();
    if let Ok(serial) = t.parse::<f64>() {
        // Excel's day 0 is 1899-12-30 (counting its phantom 1900-02-29).
        if (1.0..=2_958_465.0).contains(&serial) && serial.fract() == 0.0 {
            return NaiveDate::from_ymd_opt(1899, 12, 30)?
                .checked_add_days(chrono::Days::new(serial as u64));
        }
        return None;
    }
    let parts: Vec<&str> = t
        .trim_end_matches('日')
        .split(['-', '/', '.', '年', '月'])
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    NaiveDate::from_ymd_opt(
        y.trim().parse().ok()?,
        m.trim().parse().ok()?,
        d.trim().parse().ok()?,
    )
}

fn refusal_of(e: &DocumentError) -> Refusal {
    let field = match e {
        DocumentError::TitleMissing | DocumentError::DuplicateTitle(_) => Some("title"),
        DocumentError::UnknownLevel(_) => Some("level"),
        DocumentError::UnknownStatus(_) => Some("status"),
        DocumentError::DatesOutOfOrder => Some("issued_on"),
        _ => None,
    };
    Refusal::invalid(e.code(), field, e.message(Lang::Zh), e.message(Lang::En))
}

/// The input of one row, or the refusal of its first bad cell.
fn row_input(record: &Record) -> Result<DocumentInput, Refusal> {
    let date = |key: &'static str, zh: &str, en: &str| -> Result<Option<NaiveDate>, Refusal> {
        match record.get(key) {
            None => Ok(None),
            Some(raw) => parse_date(raw).map(Some).ok_or_else(|| {
                Refusal::invalid(
                    "bad_date",
                    Some(key),
                    format!("{zh}“{raw}”无法识别，请写成 2017-06-30 这样的日期"),
                    format!("{en} “{raw}” is not a date; write it as 2017-06-30"),
                )
            }),
        }
    };
    Ok(DocumentInput {
        title: record.get("title").unwrap_or("").to_string(),
        doc_number: record.get("doc_number").map(str::to_string),
        issuer: record.get("issuer").map(str::to_string),
        level: record.get("level").unwrap_or("").to_string(),
        status: record.get("status").unwrap_or("in_force").to_string(),
        issued_on: date("issued_on", "发布日期", "The issue date")?,
        effective_on: date("effective_on", "施行日期", "The effective date")?,
        repealed_on: date("repealed_on", "废止日期", "The repeal date")?,
    })
}

/// Imports documents from a spreadsheet (xlsx/xls/ods/csv), all or nothing: every bad row is
/// named and then nothing is saved. A title already in the registry updates that document; a
/// row identical to it is left alone.
pub fn import(
    conn: &mut DbConnection,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
) -> Result<ImportOutcome, AdminError> {
    let table = table::read_table(file_name, bytes, IMPORT_COLUMNS, &Limits::default())?;
    if table.records.is_empty() {
        return Err(Refusal::invalid(
            "empty_list",
            Some("file"),
            "表中没有法律文件数据行",
            "the list has no rows of documents",
        )
        .into());
    }
    let mut problems = Vec::new();
    let mut rows: Vec<(u32, DocumentInput, Valid)> = Vec::new();
    let mut first_row: HashMap<String, u32> = HashMap::new();
    for record in &table.records {
        let checked = row_input(record).and_then(|input| {
            validate(&input)
                .map(|v| (input, v))
                .map_err(|e| refusal_of(&e))
        });
        let (input, valid) = match checked {
            Ok(c) => c,
            Err(r) => {
                problems.push(RowProblem::of(record.row, r));
                continue;
            }
        };
        if let Some(first) = first_row.get(&valid.key) {
            problems.push(RowProblem::of(
                record.row,
                Refusal::conflict(
                    "duplicate_in_file",
                    Some("title"),
                    format!("《{}》与第 {first} 行重复", valid.title),
                    format!("“{}” is already on row {first}", valid.title),
                ),
            ));
            continue;
        }
        first_row.insert(valid.key.clone(), record.row);
        rows.push((record.row, input, valid));
    }
    if !problems.is_empty() {
        return Err(AdminError::Rows(problems));
    }
    let outcome = write_transaction(conn, |conn| -> Result<ImportOutcome, AdminError> {
        let mut outcome = ImportOutcome {
            file: table.file_name.clone(),
            sha256: table.sha256.clone(),
            created: Vec::new(),
            updated: Vec::new(),
            unchanged: 0,
            citing: Vec::new(),
        };
        for (row, input, valid) in &rows {
            let existing: Option<DocumentRow> = legal_documents::table
                .filter(legal_documents::title_key.eq(&valid.key))
                .select(DocumentRow::as_select())
                .first(conn)
                .optional()?;
            if let Some(doc) = &existing
                && same_document(doc, input, valid)
            {
                outcome.unchanged += 1;
                continue;
            }
            let change = save_valid(conn, actor, existing.as_ref().map(|d| d.id), input, valid)
                .map_err(|e| match e {
                    DocumentError::Db(what) => AdminError::Internal(what),
                    other => AdminError::Rows(vec![RowProblem::of(*row, refusal_of(&other))]),
                })?;
            if existing.is_some() {
                outcome.updated.push(change.document.title);
            } else {
                outcome.created.push(change.document.title);
            }
            for c in change.citing {
                if !outcome.citing.contains(&c) {
                    outcome.citing.push(c);
                }
            }
        }
        Ok(outcome)
    })?;
    Ok(outcome)
}

fn same_document(doc: &DocumentRow, input: &DocumentInput, valid: &Valid) -> bool {
    let trimmed = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    doc.title == valid.title
        && doc.level == valid.level.code()
        && doc.status == valid.status.code()
        && doc.doc_number == trimmed(&input.doc_number)
        && doc.issuer == trimmed(&input.issuer)
        && doc.issued_on == input.issued_on
        && doc.effective_on == input.effective_on
        && doc.repealed_on == input.repealed_on
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<DocumentRow>> {
    legal_documents::table
        .order((legal_documents::level, legal_documents::title))
        .select(DocumentRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<DocumentRow>> {
    legal_documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_clerks_and_spreadsheets_write_them() {
        let d = NaiveDate::from_ymd_opt(2017, 6, 30);
        for raw in [
            "2017-06-30",
            "2017/6/30",
            "2017.6.30",
            "2017年6月30日",
            "42916",
        ] {
            assert_eq!(parse_date(raw), d, "{raw}");
        }
        for raw in ["2017-13-01", "六月", "42916.5", "2017-06"] {
            assert_eq!(parse_date(raw), None, "{raw}");
        }
    }
}
