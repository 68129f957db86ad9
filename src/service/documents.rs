//! The legal documents registry: laws, regulations, rules and normative documents, matched to
//! items' bases by normalised title. Marking a document repealed re-flags every item that cites
//! it (R08) and says which.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::audit::{self, Actor, Change};
use crate::db::items::title_key;
use crate::db::schema::{items, legal_bases, legal_documents};
use crate::db::{DbConnection, now, write_transaction};
use crate::domain::{BasisLevel, DocumentStatus, Lang};
use crate::service::findings::{self, Selection};

/// A document as an admin or reviewer enters it.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitingItem {
    pub item_id: i64,
    pub round_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
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
    write_transaction(conn, |conn| {
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
    })
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
